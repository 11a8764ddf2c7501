package loadtest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// S3 is an S3-compatible bucket service (AWS S3, MinIO, Ceph, R2, GCS's
// interoperable API…) for samples files: shards write s3://bucket/key and
// `loadtest merge s3://bucket/prefix/` reads every .json under a prefix.
// Requests are signed with AWS Signature Version 4 and sent path-style
// ({Endpoint}/{bucket}/{key}), which every such service accepts.
type S3 struct {
	Endpoint     string // e.g. https://s3.eu-west-1.amazonaws.com or http://127.0.0.1:9000
	Region       string
	AccessKey    string
	SecretKey    string
	SessionToken string // temporary credentials, or ""
	Client       *http.Client
	now          func() time.Time
}

// S3FromEnv reads the usual variables: AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (default us-east-1)
// and AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (default AWS's endpoint for
// the region). Credentials come only from the environment.
func S3FromEnv() (*S3, error) {
	s := &S3{Region: os.Getenv("AWS_REGION"), AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY"), SessionToken: os.Getenv("AWS_SESSION_TOKEN")}
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	s.Endpoint = os.Getenv("AWS_ENDPOINT_URL_S3")
	if s.Endpoint == "" {
		s.Endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	if s.Endpoint == "" {
		s.Endpoint = "https://s3." + s.Region + ".amazonaws.com"
	}
	if s.AccessKey == "" || s.SecretKey == "" {
		return nil, errors.New("s3: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	return s, nil
}

// parseS3URL splits s3://bucket/key.
func parseS3URL(u string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	bucket, key, _ = strings.Cut(rest, "/")
	if !ok || bucket == "" {
		return "", "", fmt.Errorf("%q: want s3://bucket/key", u)
	}
	return bucket, key, nil
}

func isS3URL(p string) bool { return strings.HasPrefix(p, "s3://") }

// Put stores body at s3://bucket/key.
func (s *S3) Put(ctx context.Context, bucket, key string, body []byte) error {
	_, err := s.do(ctx, http.MethodPut, bucket, key, nil, body)
	return err
}

// Get reads s3://bucket/key.
func (s *S3) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	return s.do(ctx, http.MethodGet, bucket, key, nil, nil)
}

// List returns the keys under prefix (ListObjectsV2, every page).
func (s *S3) List(ctx context.Context, bucket, prefix string) ([]string, error) {
	var keys []string
	token := ""
	for range 1000 {
		q := url.Values{"list-type": {"2"}, "prefix": {prefix}}
		if token != "" {
			q.Set("continuation-token", token)
		}
		b, err := s.do(ctx, http.MethodGet, bucket, "", q, nil)
		if err != nil {
			return nil, err
		}
		var page struct {
			Contents []struct {
				Key string `xml:"Key"`
			} `xml:"Contents"`
			IsTruncated           bool   `xml:"IsTruncated"`
			NextContinuationToken string `xml:"NextContinuationToken"`
		}
		if err := xml.Unmarshal(b, &page); err != nil {
			return nil, fmt.Errorf("s3 list %s/%s: %w", bucket, prefix, err)
		}
		for _, c := range page.Contents {
			keys = append(keys, c.Key)
		}
		if !page.IsTruncated || page.NextContinuationToken == "" {
			return keys, nil
		}
		token = page.NextContinuationToken
	}
	return nil, fmt.Errorf("s3 list %s/%s: more than 1000 pages", bucket, prefix)
}

func (s *S3) do(ctx context.Context, method, bucket, key string, q url.Values, body []byte) ([]byte, error) {
	u, err := url.Parse(strings.TrimRight(s.Endpoint, "/"))
	if err != nil {
		return nil, fmt.Errorf("s3 endpoint: %w", err)
	}
	u.Path += "/" + bucket
	if key != "" {
		u.Path += "/" + key
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("s3 %s: %w", method, err)
	}
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	s.sign(req, body, now())
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 60 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("s3 %s %s/%s: %w", method, bucket, key, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("s3 %s %s/%s: %w", method, bucket, key, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("s3 %s %s/%s: %s: %.300s", method, bucket, key, resp.Status, b)
	}
	return b, nil
}

// sign adds AWS Signature Version 4 headers: x-amz-date,
// x-amz-content-sha256 (and x-amz-security-token) and Authorization, over
// host, range and every x-amz- header.
func (s *S3) sign(req *http.Request, body []byte, now time.Time) {
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	stamp := now.UTC().Format("20060102T150405Z")
	day := stamp[:8]
	req.Header.Set("X-Amz-Date", stamp)
	req.Header.Set("X-Amz-Content-Sha256", payload)
	if s.SessionToken != "" {
		req.Header.Set("X-Amz-Security-Token", s.SessionToken)
	}
	headers := map[string]string{"host": req.URL.Host}
	for k, v := range req.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") || lk == "range" || lk == "content-md5" {
			headers[lk] = strings.TrimSpace(strings.Join(v, ","))
		}
	}
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	sort.Strings(names)
	var canon strings.Builder
	for _, k := range names {
		canon.WriteString(k + ":" + headers[k] + "\n")
	}
	signed := strings.Join(names, ";")
	creq := strings.Join([]string{req.Method, s3EscapePath(req.URL.Path), s3Query(req.URL.Query()), canon.String(), signed, payload}, "\n")
	scope := day + "/" + s.Region + "/s3/aws4_request"
	crSum := sha256.Sum256([]byte(creq))
	toSign := "AWS4-HMAC-SHA256\n" + stamp + "\n" + scope + "\n" + hex.EncodeToString(crSum[:])
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	k := mac(mac(mac(mac([]byte("AWS4"+s.SecretKey), day), s.Region), "s3"), "aws4_request")
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s,SignedHeaders=%s,Signature=%s",
		s.AccessKey, scope, signed, hex.EncodeToString(mac(k, toSign))))
}

// s3Escape is SigV4's URI encoding: everything but unreserved characters.
func s3Escape(s string, slash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && slash:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func s3EscapePath(p string) string {
	if p == "" {
		return "/"
	}
	return s3Escape(p, true)
}

func s3Query(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, s3Escape(k, false)+"="+s3Escape(v, false))
		}
	}
	return strings.Join(parts, "&")
}
