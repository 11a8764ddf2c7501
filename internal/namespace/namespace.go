package namespace

import (
	"errors"
	"fmt"
	"strings"
)

// Namespace is one deployment's part of a shared Redis database. The zero
// value, None, names things as releases before namespaces did.
type Namespace string

// None is the namespace of releases before namespaces: names unchanged.
const None Namespace = ""

// MaxLen bounds an operator's namespace, which ends up in every queue name.
const MaxLen = 32

// ErrInvalid is wrapped by Parse's errors.
var ErrInvalid = errors.New("invalid namespace")

// Parse checks an operator's namespace: 1 to MaxLen lower-case letters,
// digits, '-' or '_'. Empty means "not set" and returns None.
func Parse(s string) (Namespace, error) {
	if s == "" {
		return None, nil
	}
	if len(s) > MaxLen {
		return None, fmt.Errorf("%w: %q is longer than %d characters", ErrInvalid, s, MaxLen)
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return None, fmt.Errorf("%w: %q: use lower-case letters, digits, '-' and '_'", ErrInvalid, s)
		}
	}
	return Namespace(s), nil
}

// FromDeployment derives a deployment's namespace from its ID (a UUID):
// "d" and the ID's first 12 hexadecimal digits, 48 bits, so two
// deployments on one Redis will not meet by chance.
func FromDeployment(id string) (Namespace, error) {
	hex := strings.ToLower(strings.ReplaceAll(id, "-", ""))
	if len(hex) != 32 || strings.Trim(hex, "0123456789abcdef") != "" {
		return None, fmt.Errorf("%w: deployment ID %q is not a UUID", ErrInvalid, id)
	}
	return Namespace("d" + hex[:12]), nil
}

// Choose returns a deployment's namespace: set (the operator's
// REDIS_NAMESPACE) when it is not None, without reading anything; else the
// one derived from the ID deploymentID reads (FromDeployment), which every
// node of the deployment reads alike.
func Choose(set Namespace, deploymentID func() (string, error)) (Namespace, error) {
	if set != None {
		return set, nil
	}
	id, err := deploymentID()
	if err != nil {
		return None, err
	}
	return FromDeployment(id)
}

// Name returns base as this namespace names it: base itself for None,
// else base + ":" + the namespace ("lots:d1a2b3c4d5e6f").
func (n Namespace) Name(base string) string {
	if n == None {
		return base
	}
	return base + ":" + string(n)
}

// Legacy returns the names of releases before namespaces that a server in
// namespace n still drains (tasks enqueued before the upgrade): base, unless
// n is None (then Name(base) is base already).
func (n Namespace) Legacy(base string) []string {
	if n == None {
		return nil
	}
	return []string{base}
}

// Queues returns an Asynq server's queue weights in namespace n, given by
// base name: each queue as n names it at its weight, and each legacy queue
// (Legacy) at weight 1, so tasks enqueued before an upgrade still run.
func (n Namespace) Queues(weights map[string]int) map[string]int {
	out := make(map[string]int, 2*len(weights))
	for base, w := range weights {
		out[n.Name(base)] = w
		for _, old := range n.Legacy(base) {
			out[old] = 1
		}
	}
	return out
}

// String returns the namespace, or "none".
func (n Namespace) String() string {
	if n == None {
		return "none"
	}
	return string(n)
}
