package media

import (
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(Config) bool
		wantErr string
	}{
		{"defaults", nil, func(c Config) bool {
			return c.Dir == ".data/media" && c.MaxImageBytes == 15<<20 && c.MaxVideoBytes == 500<<20 &&
				c.FFmpegPath == "ffmpeg" && c.URLPrefix == "/media/" && c.S3.Endpoint == "" && c.S3.UseSSL &&
				c.QuotaBytes == 5<<30 && c.QuotaFiles == 500 && c.MaxVideoLength == 10*time.Minute
		}, ""},
		{"quota", map[string]string{"MEDIA_QUOTA_BYTES": "1048576", "MEDIA_QUOTA_FILES": "7",
			"MEDIA_MAX_VIDEO_SECONDS": "90"}, func(c Config) bool {
			return c.QuotaBytes == 1<<20 && c.QuotaFiles == 7 && c.MaxVideoLength == 90*time.Second
		}, ""},
		{"bad quota bytes", map[string]string{"MEDIA_QUOTA_BYTES": "5GiB"}, nil, "MEDIA_QUOTA_BYTES"},
		{"bad quota files", map[string]string{"MEDIA_QUOTA_FILES": "-3"}, nil, "MEDIA_QUOTA_FILES"},
		{"bad video length", map[string]string{"MEDIA_MAX_VIDEO_SECONDS": "10m"}, nil, "MEDIA_MAX_VIDEO_SECONDS"},
		{"set", map[string]string{"MEDIA_DIR": "/srv/media", "MEDIA_MAX_IMAGE_BYTES": "1000",
			"MEDIA_MAX_VIDEO_BYTES": "2000", "MEDIA_FFMPEG": "/opt/ffmpeg", "MEDIA_PROCESS_TIMEOUT": "30s",
			"MEDIA_CONCURRENCY": "3", "MEDIA_S3_ENDPOINT": "minio:9000", "MEDIA_S3_BUCKET": "b",
			"MEDIA_S3_USE_SSL": "false"}, func(c Config) bool {
			return c.Dir == "/srv/media" && c.MaxImageBytes == 1000 && c.MaxVideoBytes == 2000 &&
				c.FFmpegPath == "/opt/ffmpeg" && c.ProcessTimeout == 30*time.Second && c.Concurrency == 3 &&
				c.S3.Endpoint == "minio:9000" && c.S3.Bucket == "b" && !c.S3.UseSSL
		}, ""},
		{"bad size", map[string]string{"MEDIA_MAX_IMAGE_BYTES": "15MB"}, nil, "MEDIA_MAX_IMAGE_BYTES"},
		{"negative size", map[string]string{"MEDIA_MAX_VIDEO_BYTES": "-1"}, nil, "MEDIA_MAX_VIDEO_BYTES"},
		{"bad timeout", map[string]string{"MEDIA_PROCESS_TIMEOUT": "soon"}, nil, "MEDIA_PROCESS_TIMEOUT"},
		{"bad concurrency", map[string]string{"MEDIA_CONCURRENCY": "0"}, nil, "MEDIA_CONCURRENCY"},
		{"bad ssl", map[string]string{"MEDIA_S3_USE_SSL": "maybe"}, nil, "MEDIA_S3_USE_SSL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(c) {
				t.Fatalf("LoadConfig = %+v, %v", c, err)
			}
		})
	}
}

// TestLoadConfigReportsEveryBadValue: a load names every malformed
// variable at once, not only the first.
func TestLoadConfigReportsEveryBadValue(t *testing.T) {
	env := map[string]string{"MEDIA_MAX_IMAGE_BYTES": "15MB", "MEDIA_CONCURRENCY": "0", "MEDIA_S3_USE_SSL": "maybe"}
	_, err := LoadConfig(func(k string) string { return env[k] })
	for name := range env {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("err %v, want one naming %s", err, name)
		}
	}
}
