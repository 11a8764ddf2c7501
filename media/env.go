package media

import "github.com/bidcast/bidcast/internal/envconf"

// Env documents every MEDIA_* variable LoadConfig reads, for `auctiond
// help`. A test holds it to the names LoadConfig reads.
var Env = []envconf.Var{
	{Name: "MEDIA_DIR", Default: ".data/media", Help: "local directory uploaded files and their renditions are stored under"},
	{Name: "MEDIA_TMP_DIR", Default: "system temp", Help: "where uploads land while they are checked, and the media worker's work directories"},
	{Name: "MEDIA_MAX_IMAGE_BYTES", Default: "15728640", Help: "largest image upload (15 MB)"},
	{Name: "MEDIA_MAX_VIDEO_BYTES", Default: "524288000", Help: "largest video upload (500 MB)"},
	{Name: "MEDIA_MAX_VIDEO_SECONDS", Default: "600", Help: "longest video, refused before transcoding"},
	{Name: "MEDIA_QUOTA_BYTES", Default: "5368709120", Help: "total size of the originals one seller keeps over all their items (5 GiB)"},
	{Name: "MEDIA_QUOTA_FILES", Default: "500", Help: "media files one seller keeps over all their items"},
	{Name: "MEDIA_FFMPEG", Default: "ffmpeg", Help: "ffmpeg binary (a name on PATH or a path); also makes the lobby's live thumbnails"},
	{Name: "MEDIA_FFPROBE", Default: "ffprobe", Help: "ffprobe binary"},
	{Name: "MEDIA_PROCESS_TIMEOUT", Default: "10m", Help: "time limit for processing one file"},
	{Name: "MEDIA_CONCURRENCY", Default: "2", Help: "files the media worker processes at once"},
	{Name: "MEDIA_URL_PREFIX", Default: "/media/", Help: "where the stored files are served"},
	{Name: "MEDIA_UPLOAD_DIR", Default: "<MEDIA_DIR>/uploads", Help: "where resumable (tus) uploads wait, on the local disk, until finished (unused with MEDIA_S3_ENDPOINT: parts go to the bucket)"},
	{Name: "MEDIA_UPLOAD_EXPIRY", Default: "24h", Help: "how long an unfinished resumable upload is kept after it was created"},
	{Name: "MEDIA_S3_ENDPOINT", Default: "", Help: "an S3-compatible store (host[:port]) instead of MEDIA_DIR"},
	{Name: "MEDIA_S3_BUCKET", Default: "", Help: "its bucket (must exist)"},
	{Name: "MEDIA_S3_ACCESS_KEY", Default: "", Help: "its access key"},
	{Name: "MEDIA_S3_SECRET_KEY", Default: "", Help: "its secret key"},
	{Name: "MEDIA_S3_REGION", Default: "", Help: "the bucket's region (asked of the store when empty)"},
	{Name: "MEDIA_S3_USE_SSL", Default: "true", Help: "HTTPS to the S3 endpoint"},
}
