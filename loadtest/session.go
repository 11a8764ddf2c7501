package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
)

// RoomInfo is one room to load, in the shape `auctiond room create --json`
// prints it.
type RoomInfo struct {
	RoomID         string   `json:"room_id"`
	PublishToken   string   `json:"publish_token"`
	WHIPURL        string   `json:"whip_url"`
	WHEPURL        string   `json:"whep_url"`
	RoomURL        string   `json:"room_url"`
	SellerID       string   `json:"seller_id"`
	LotIDs         []string `json:"lot_ids"`
	SellerLoginURL string   `json:"seller_login_url"`
}

// LoadRooms reads a rooms file: the output of one or more
// `auctiond room create --json` runs appended together (a stream of JSON
// objects), or a JSON array of them.
func LoadRooms(path string) ([]RoomInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rooms file: %w", err)
	}
	b = bytes.TrimSpace(b)
	var rooms []RoomInfo
	if bytes.HasPrefix(b, []byte("[")) {
		if err := json.Unmarshal(b, &rooms); err != nil {
			return nil, fmt.Errorf("parse rooms file %s: %w", path, err)
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(b))
		for {
			var r RoomInfo
			if err := dec.Decode(&r); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, fmt.Errorf("parse rooms file %s: %w", path, err)
			}
			rooms = append(rooms, r)
		}
	}
	for i, r := range rooms {
		if r.RoomID == "" {
			return nil, fmt.Errorf("rooms file %s: entry %d has no room_id", path, i)
		}
	}
	if len(rooms) == 0 {
		return nil, fmt.Errorf("rooms file %s: no rooms", path)
	}
	return rooms, nil
}

// session is one signed-in user: its id and a Bearer access token that
// the WebSocket and the API accept.
type session struct {
	UserID string
	Name   string
	Token  string
}

// guestLogin signs a guest in with POST /auth/guest. A Go client sends no
// Origin or Sec-Fetch-Site header, which cross-origin protection lets
// through as a non-browser request.
func guestLogin(ctx context.Context, base *url.URL, name string) (session, error) {
	body, _ := json.Marshal(map[string]string{"display_name": name})
	var out struct {
		User struct {
			UserID string `json:"user_id"`
		} `json:"user"`
		AccessToken string `json:"access_token"`
	}
	if err := doJSON(ctx, http.MethodPost, base.JoinPath("auth/guest").String(), "", body, &out); err != nil {
		return session{}, fmt.Errorf("guest sign-in: %w", err)
	}
	if out.AccessToken == "" || out.User.UserID == "" {
		return session{}, errors.New("guest sign-in: no access token in the answer")
	}
	return session{UserID: out.User.UserID, Name: name, Token: out.AccessToken}, nil
}

// sellerLogin redeems an operator-issued single-use login link and returns
// the seller's session (its access token comes from the session cookie).
func sellerLogin(ctx context.Context, base *url.URL, link, sellerID string) (session, error) {
	lu, err := url.Parse(link)
	if err != nil || lu.Host != base.Host {
		return session{}, fmt.Errorf("seller login link %q is not on %s", link, base.Host)
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: httpClient.Timeout}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return session{}, fmt.Errorf("seller login: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return session{}, fmt.Errorf("seller login: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, c := range jar.Cookies(base) {
		if c.Name == "bidcast_access" && c.Value != "" {
			return session{UserID: sellerID, Name: "seller", Token: c.Value}, nil
		}
	}
	return session{}, fmt.Errorf("seller login link: %s and no session cookie (links are single-use and last 15 minutes; create the room again)", resp.Status)
}

// doJSON sends a JSON request (body may be nil) with an optional Bearer
// token and decodes a 2xx answer into out.
func doJSON(ctx context.Context, method, u, token string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if resp.StatusCode/100 != 2 {
		return &httpError{Status: resp.StatusCode, Msg: fmt.Sprintf("%s %s: %s: %s", method, u, resp.Status,
			strings.TrimSpace(string(b)))}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, u, err)
		}
	}
	return nil
}

// httpError is a non-2xx answer.
type httpError struct {
	Status int
	Msg    string
}

// Error implements error.
func (e *httpError) Error() string { return e.Msg }
