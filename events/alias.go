package events

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strings"
	"sync"
)

// AliasPrefix starts every bidder alias, so pages can tell an alias from a
// display name at a glance ("Bidder K7QD2").
const AliasPrefix = "Bidder "

// aliasChars is how many base-32 characters follow AliasPrefix: 25 bits, so
// two bidders of one room share an alias with odds of about one in 30,000
// even in a room of fifty bidders.
const aliasChars = 5

// aliasDomain separates the alias key from the key it is derived from, so
// an alias can never be mistaken for, or help forge, a token signature.
const aliasDomain = "bidcast room bidder alias v1"

// Aliases names bidders to other viewers of a room. A bidder's alias is the
// same on every event, snapshot and bid history of a room, on every node and
// across restarts when the key is, and differs from room to room, so viewers
// can follow a duel without learning user IDs or linking a bidder across
// rooms or to their chat name. Without the key the alias cannot be tied to
// a user ID, even by someone who knows the ID.
//
// The zero value is not usable; an Aliases is safe for concurrent use.
type Aliases struct {
	key []byte
	// memo keeps aliases already derived (an HMAC each): every event and
	// snapshot of a busy room names the same few bidders again. It is
	// emptied when it reaches maxAliasMemo entries.
	mu   sync.Mutex
	memo map[aliasKey]string
}

type aliasKey struct{ room, user string }

// maxAliasMemo bounds Aliases' memo (about 10 MB at most).
const maxAliasMemo = 1 << 16

// NewAliases derives the alias key from secret, which must be the same on
// every node (cmd/auctiond uses the access-token signing key). An empty
// secret gets a random key: aliases then last only as long as the process,
// which is good enough for a single development server.
func NewAliases(secret []byte) *Aliases {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(aliasDomain))
	return &Aliases{key: m.Sum(nil)}
}

// Of returns userID's alias in roomID, or "" for no user.
func (a *Aliases) Of(roomID, userID string) string {
	if userID == "" {
		return ""
	}
	k := aliasKey{room: roomID, user: userID}
	a.mu.Lock()
	s, ok := a.memo[k]
	a.mu.Unlock()
	if ok {
		return s
	}
	s = a.derive(roomID, userID)
	a.mu.Lock()
	if a.memo == nil || len(a.memo) >= maxAliasMemo {
		a.memo = make(map[aliasKey]string)
	}
	a.memo[k] = s
	a.mu.Unlock()
	return s
}

// derive computes userID's alias in roomID from the key.
func (a *Aliases) derive(roomID, userID string) string {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(roomID))
	m.Write([]byte{0})
	m.Write([]byte(userID))
	s := base32.StdEncoding.EncodeToString(m.Sum(nil))
	return AliasPrefix + strings.ToUpper(s[:aliasChars])
}
