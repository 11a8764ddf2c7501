package media

import (
	"fmt"
	"strconv"
	"time"
)

// Config holds the media settings; LoadConfig reads them from the
// environment and Defaults fills what is left zero.
type Config struct {
	// Dir is the local directory files are stored under (MEDIA_DIR).
	Dir string
	// TempDir receives uploads while they stream in and are checked
	// (MEDIA_TMP_DIR); empty means the system default.
	TempDir string
	// MaxImageBytes caps an image upload (MEDIA_MAX_IMAGE_BYTES, 15 MB).
	MaxImageBytes int64
	// MaxVideoBytes caps a video upload (MEDIA_MAX_VIDEO_BYTES, 500 MB).
	MaxVideoBytes int64
	// FFmpegPath is the ffmpeg binary (MEDIA_FFMPEG, "ffmpeg" on PATH).
	FFmpegPath string
	// FFprobePath is the ffprobe binary (MEDIA_FFPROBE, "ffprobe" on PATH).
	FFprobePath string
	// ProcessTimeout bounds the processing of one file
	// (MEDIA_PROCESS_TIMEOUT, 10m).
	ProcessTimeout time.Duration
	// Concurrency is how many files the worker processes at once
	// (MEDIA_CONCURRENCY, 2).
	Concurrency int
	// URLPrefix is where FileServer is mounted, for building file URLs
	// (MEDIA_URL_PREFIX, "/media/").
	URLPrefix string
	// QuotaBytes caps the total size of the originals one seller keeps,
	// over all their items (MEDIA_QUOTA_BYTES, 5 GiB).
	QuotaBytes int64
	// QuotaFiles caps how many media files one seller keeps, over all
	// their items (MEDIA_QUOTA_FILES, 500).
	QuotaFiles int
	// MaxVideoLength is the longest video accepted; the worker refuses a
	// longer one before transcoding it (MEDIA_MAX_VIDEO_SECONDS, 600).
	MaxVideoLength time.Duration
	// S3 selects an S3-compatible store instead of the local disk when
	// S3.Endpoint is set (MEDIA_S3_*).
	S3 S3Config
	// Store overrides the local-disk store built from Dir (for tests or an
	// S3-compatible store); it is not read from the environment.
	Store Store
}

// Default limits.
const (
	DefaultMaxImageBytes = 15 << 20
	DefaultMaxVideoBytes = 500 << 20
	// DefaultQuotaBytes and DefaultQuotaFiles bound what one seller keeps.
	DefaultQuotaBytes = 5 << 30
	DefaultQuotaFiles = 500
	// DefaultMaxVideoLength is the longest video accepted.
	DefaultMaxVideoLength = 10 * time.Minute
)

// Defaults returns c with zero fields set to their defaults.
func (c Config) Defaults() Config {
	if c.Dir == "" {
		c.Dir = ".data/media"
	}
	if c.MaxImageBytes <= 0 {
		c.MaxImageBytes = DefaultMaxImageBytes
	}
	if c.MaxVideoBytes <= 0 {
		c.MaxVideoBytes = DefaultMaxVideoBytes
	}
	if c.QuotaBytes <= 0 {
		c.QuotaBytes = DefaultQuotaBytes
	}
	if c.QuotaFiles <= 0 {
		c.QuotaFiles = DefaultQuotaFiles
	}
	if c.MaxVideoLength <= 0 {
		c.MaxVideoLength = DefaultMaxVideoLength
	}
	if c.FFmpegPath == "" {
		c.FFmpegPath = "ffmpeg"
	}
	if c.FFprobePath == "" {
		c.FFprobePath = "ffprobe"
	}
	if c.ProcessTimeout <= 0 {
		c.ProcessTimeout = 10 * time.Minute
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 2
	}
	if c.URLPrefix == "" {
		c.URLPrefix = "/media/"
	}
	return c
}

// LoadConfig reads the MEDIA_* variables (listed in the package
// documentation) through getenv, so a caller can pass its own lookup and
// tests a map; unset or empty ones keep defaults. A malformed value is an
// error naming the variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	var c Config
	c.Dir = getenv("MEDIA_DIR")
	c.TempDir = getenv("MEDIA_TMP_DIR")
	c.FFmpegPath = getenv("MEDIA_FFMPEG")
	c.FFprobePath = getenv("MEDIA_FFPROBE")
	c.URLPrefix = getenv("MEDIA_URL_PREFIX")
	c.S3 = S3Config{
		Endpoint:  getenv("MEDIA_S3_ENDPOINT"),
		Bucket:    getenv("MEDIA_S3_BUCKET"),
		AccessKey: getenv("MEDIA_S3_ACCESS_KEY"),
		SecretKey: getenv("MEDIA_S3_SECRET_KEY"),
		Region:    getenv("MEDIA_S3_REGION"),
		UseSSL:    true,
	}
	if s := getenv("MEDIA_S3_USE_SSL"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return Config{}, fmt.Errorf("MEDIA_S3_USE_SSL=%q: want true or false", s)
		}
		c.S3.UseSSL = b
	}
	for _, v := range []struct {
		name string
		dst  *int64
	}{{"MEDIA_MAX_IMAGE_BYTES", &c.MaxImageBytes}, {"MEDIA_MAX_VIDEO_BYTES", &c.MaxVideoBytes},
		{"MEDIA_QUOTA_BYTES", &c.QuotaBytes}} {
		if s := getenv(v.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				return Config{}, fmt.Errorf("%s=%q: want a positive number of bytes", v.name, s)
			}
			*v.dst = n
		}
	}
	if s := getenv("MEDIA_PROCESS_TIMEOUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return Config{}, fmt.Errorf("MEDIA_PROCESS_TIMEOUT=%q: want a positive duration such as 10m", s)
		}
		c.ProcessTimeout = d
	}
	if s := getenv("MEDIA_QUOTA_FILES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return Config{}, fmt.Errorf("MEDIA_QUOTA_FILES=%q: want a positive integer", s)
		}
		c.QuotaFiles = n
	}
	if s := getenv("MEDIA_MAX_VIDEO_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > 24*3600 {
			return Config{}, fmt.Errorf("MEDIA_MAX_VIDEO_SECONDS=%q: want a whole number of seconds from 1 to 86400", s)
		}
		c.MaxVideoLength = time.Duration(n) * time.Second
	}
	if s := getenv("MEDIA_CONCURRENCY"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return Config{}, fmt.Errorf("MEDIA_CONCURRENCY=%q: want a positive integer", s)
		}
		c.Concurrency = n
	}
	return c.Defaults(), nil
}
