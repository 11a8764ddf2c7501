package media

import (
	"math"
	"path/filepath"
	"time"

	"github.com/bidcast/bidcast/internal/envconf"
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
	// UploadDir holds resumable (tus) uploads while their parts arrive,
	// when files are stored on the local disk (MEDIA_UPLOAD_DIR, default
	// <Dir>/uploads). With the S3-compatible store the parts go to the
	// bucket under uploads/ instead and this directory is not used.
	UploadDir string
	// UploadExpiry is how long an unfinished resumable upload is kept after
	// it was created; then its parts are removed (MEDIA_UPLOAD_EXPIRY, 24h).
	UploadExpiry time.Duration
	// UploadBasePath is the URL path resumable uploads live under, ending
	// in "/" (the JSON API's /api/v1/uploads/); not read from the
	// environment.
	UploadBasePath string
	// Now is the clock of upload expiry; nil is time.Now (tests inject
	// their own).
	Now func() time.Time
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
	// DefaultUploadExpiry is how long an unfinished resumable upload lives.
	DefaultUploadExpiry = 24 * time.Hour
	// DefaultUploadBasePath is where the JSON API serves resumable uploads.
	DefaultUploadBasePath = "/api/v1/uploads/"
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
	if c.UploadDir == "" {
		c.UploadDir = filepath.Join(c.Dir, "uploads")
	}
	if c.UploadExpiry <= 0 {
		c.UploadExpiry = DefaultUploadExpiry
	}
	if c.UploadBasePath == "" {
		c.UploadBasePath = DefaultUploadBasePath
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// LoadConfig reads the MEDIA_* variables (listed in the package
// documentation) through getenv, so a caller can pass its own lookup and
// tests a map; unset or empty ones keep defaults. Malformed values are
// errors naming their variables, all reported at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	r := envconf.New(getenv)
	c := Config{
		Dir:            r.String("MEDIA_DIR", ""),
		TempDir:        r.String("MEDIA_TMP_DIR", ""),
		FFmpegPath:     r.String("MEDIA_FFMPEG", ""),
		FFprobePath:    r.String("MEDIA_FFPROBE", ""),
		URLPrefix:      r.String("MEDIA_URL_PREFIX", ""),
		UploadDir:      r.String("MEDIA_UPLOAD_DIR", ""),
		UploadExpiry:   r.Duration("MEDIA_UPLOAD_EXPIRY", 0),
		MaxImageBytes:  r.Size("MEDIA_MAX_IMAGE_BYTES", 0),
		MaxVideoBytes:  r.Size("MEDIA_MAX_VIDEO_BYTES", 0),
		QuotaBytes:     r.Size("MEDIA_QUOTA_BYTES", 0),
		QuotaFiles:     r.Int("MEDIA_QUOTA_FILES", 0, 1, math.MaxInt),
		ProcessTimeout: r.Duration("MEDIA_PROCESS_TIMEOUT", 0),
		MaxVideoLength: time.Duration(r.Int("MEDIA_MAX_VIDEO_SECONDS", 0, 1, 24*3600)) * time.Second,
		Concurrency:    r.Int("MEDIA_CONCURRENCY", 0, 1, math.MaxInt),
		S3: S3Config{
			Endpoint:  r.String("MEDIA_S3_ENDPOINT", ""),
			Bucket:    r.String("MEDIA_S3_BUCKET", ""),
			AccessKey: r.String("MEDIA_S3_ACCESS_KEY", ""),
			SecretKey: r.String("MEDIA_S3_SECRET_KEY", ""),
			Region:    r.String("MEDIA_S3_REGION", ""),
			UseSSL:    r.Bool("MEDIA_S3_USE_SSL", true),
		},
	}
	if err := r.Err(); err != nil {
		return Config{}, err
	}
	return c.Defaults(), nil
}
