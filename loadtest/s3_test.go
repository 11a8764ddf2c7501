package loadtest

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestS3SignatureVector signs AWS's published Signature Version 4 example
// (GET /test.txt of examplebucket with Range: bytes=0-9 on 2013-05-24) and
// must produce its published signature.
func TestS3SignatureVector(t *testing.T) {
	s := &S3{Region: "us-east-1", AccessKey: "AKIAIOSFODNN7EXAMPLE", SecretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	req, err := http.NewRequest(http.MethodGet, "https://examplebucket.s3.amazonaws.com/test.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Range", "bytes=0-9")
	s.sign(req, nil, time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC))
	want := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date," +
		"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
	if got := req.Header.Get("Authorization"); got != want {
		t.Fatalf("Authorization\n got %s\nwant %s", got, want)
	}
}

// fakeBucket is an S3-compatible server of one bucket in memory: PUT, GET
// and ListObjectsV2 (two keys a page, to exercise continuation), refusing
// requests whose signature is missing or for another access key.
type fakeBucket struct {
	mu      sync.Mutex
	objects map[string][]byte
}

func (f *fakeBucket) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=LTKEY/") ||
		r.Header.Get("X-Amz-Content-Sha256") == "" {
		http.Error(w, "<Error><Code>AccessDenied</Code></Error>", http.StatusForbidden)
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if bucket != "runs" {
		http.Error(w, "<Error><Code>NoSuchBucket</Code></Error>", http.StatusNotFound)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodPut:
		b, _ := io.ReadAll(r.Body)
		f.objects[key] = b
	case r.Method == http.MethodGet && key != "":
		b, ok := f.objects[key]
		if !ok {
			http.Error(w, "<Error><Code>NoSuchKey</Code></Error>", http.StatusNotFound)
			return
		}
		_, _ = w.Write(b)
	case r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2":
		var keys []string
		for k := range f.objects {
			if strings.HasPrefix(k, r.URL.Query().Get("prefix")) {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		from := 0
		if tok := r.URL.Query().Get("continuation-token"); tok != "" {
			_, _ = fmt.Sscan(tok, &from)
		}
		type content struct{ Key string }
		page := struct {
			XMLName               xml.Name `xml:"ListBucketResult"`
			Contents              []content
			IsTruncated           bool
			NextContinuationToken string `xml:",omitempty"`
		}{}
		for i := from; i < len(keys) && i < from+2; i++ {
			page.Contents = append(page.Contents, content{keys[i]})
		}
		if from+2 < len(keys) {
			page.IsTruncated, page.NextContinuationToken = true, fmt.Sprint(from+2)
		}
		_ = xml.NewEncoder(w).Encode(page)
	default:
		http.Error(w, "bad request", http.StatusBadRequest)
	}
}

// TestSamplesThroughABucket: three shards write their samples to an
// S3-compatible bucket and merge reads them back by prefix.
func TestSamplesThroughABucket(t *testing.T) {
	f := &fakeBucket{objects: map[string][]byte{"other/x.json": []byte("{}")}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "LTKEY")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	for i := range 3 {
		r := newReport("viewers", "http://127.0.0.1:1")
		r.samples().Viewers = &ViewerSamples{Rooms: 1, Viewers: 10, Connected: 10, Delivered: 100, Offered: 100}
		if err := r.WriteSamples(fmt.Sprintf("s3://runs/evening/shard-%d.json", i), Shard{i, 3}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := Merge(context.Background(), MergeConfig{Files: []string{"s3://runs/evening/"}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Shards != 3 || m.Viewers == nil || m.Viewers.Viewers != 30 || m.Viewers.DeliveryRatio != 1 {
		t.Fatalf("merged %d shards: %+v", m.Shards, m.Viewers)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	if err := newReport("bids", "").WriteSamples("s3://runs/x.json", Shard{0, 1}, time.Time{}); err == nil {
		t.Fatal("no credentials: want an error")
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "OTHER")
	if _, err := ReadSamples("s3://runs/evening/shard-0.json"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("refused request: %v", err)
	}
}
