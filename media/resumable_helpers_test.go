package media

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/bidcast/bidcast/internal/apierr"
)

// tusServer mounts the service's resumable uploads as the JSON API does,
// with the caller named by the X-Test-User header.
func (e *env) tusServer(svc *Service) *httptest.Server {
	e.t.Helper()
	fail := func(w http.ResponseWriter, err error) {
		if err == nil {
			return
		}
		if ae, ok := apierr.As(err); ok {
			apierr.Write(w, ae)
			return
		}
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/items/{id}/uploads", func(w http.ResponseWriter, r *http.Request) {
		fail(w, svc.CreateUpload(w, r, r.Header.Get("X-Test-User"), false, r.PathValue("id")))
	})
	serve := func(w http.ResponseWriter, r *http.Request) {
		fail(w, svc.ServeUpload(w, r, r.Header.Get("X-Test-User"), false, r.PathValue("upload_id")))
	}
	mux.HandleFunc("HEAD /api/v1/uploads/{upload_id}", serve)
	mux.HandleFunc("PATCH /api/v1/uploads/{upload_id}", serve)
	mux.HandleFunc("DELETE /api/v1/uploads/{upload_id}", serve)
	srv := httptest.NewServer(mux)
	e.t.Cleanup(srv.Close)
	return srv
}

// tusAnswer is what a tus request answered.
type tusAnswer struct {
	Status   int
	Location string
	Offset   int64
	MediaID  string
	Code     string // error.code of a JSON error
}

// tusDo sends one tus request as user.
func tusDo(t *testing.T, method, url, user string, hdr map[string]string, body []byte) tusAnswer {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("X-Test-User", user)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := tusAnswer{Status: resp.StatusCode, Location: resp.Header.Get("Location"), MediaID: resp.Header.Get(MediaIDHeader)}
	a.Offset, _ = strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	var env struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if testing.Verbose() {
		t.Logf("%s %s: %d %s", method, url, resp.StatusCode, raw)
	}
	if json.Unmarshal(raw, &env) == nil {
		a.Code = env.Error.Code
	}
	return a
}

// tusCreate creates an upload of size bytes for an item.
func tusCreate(t *testing.T, srv *httptest.Server, user, item string, size int) tusAnswer {
	t.Helper()
	return tusDo(t, "POST", srv.URL+"/api/v1/items/"+item+"/uploads", user, map[string]string{
		"Upload-Length": strconv.Itoa(size), "Upload-Metadata": "filename dGVzdC5iaW4="}, nil)
}

// tusPatch sends data at offset.
func tusPatch(t *testing.T, url, user string, offset int, data []byte) tusAnswer {
	t.Helper()
	return tusDo(t, "PATCH", url, user, map[string]string{
		"Content-Type": "application/offset+octet-stream", "Upload-Offset": strconv.Itoa(offset)}, data)
}

// tusUpload creates an upload and sends data in two requests cut at
// split, returning the answer to the last request made (a refusal
// stops it early).
func tusUpload(t *testing.T, srv *httptest.Server, user, item string, data []byte, split int) tusAnswer {
	t.Helper()
	c := tusCreate(t, srv, user, item, len(data))
	if c.Status != http.StatusCreated {
		return c
	}
	if split > 0 {
		a := tusPatch(t, c.Location, user, 0, data[:split])
		if a.Status != http.StatusNoContent {
			return a
		}
	}
	return tusPatch(t, c.Location, user, split, data[split:])
}
