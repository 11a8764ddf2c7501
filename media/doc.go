// Package media accepts photo and video uploads for sellers' items,
// checks them strictly, stores them behind a small Store interface, and
// processes them in the background.
//
// # Upload path (never does heavy work)
//
// Service.Upload (reached through the JSON API, which serves POST
// /api/v1/items/{id}/media with multipart field "file", declares the
// api.Media interface and gets *Service as api.Deps.Media) checks that the caller owns the item (others'
// items answer not_found), streams the body to a temporary file under a
// per-kind size cap, sniffs the type from the bytes only (JPEG, PNG,
// WebP, MP4, MOV, WebM; SVG, HTML and everything else refused), reads an
// image's header with image.DecodeConfig and refuses more than 40
// megapixels before any decode, walks a video's container (CheckVideo) to
// refuse one cut short, stores the original under a generated key
// (items/<item>/<media>/original), inserts the item_media row with status
// processing, and enqueues an Asynq task (queue "media" in the
// deployment's namespace, see WithNamespace, type
// "media:process", TaskID = media ID). A rejection is an *Error with a
// stable code (unsupported_type, too_large, image_too_big, not_found,
// invalid_file) and leaves no file and no row.
//
// # Resumable uploads (resumable.go)
//
// The API also serves the tus 1.0 protocol (through tusd v2) and hands
// each request here with the caller: CreateUpload (POST, for an item the
// caller owns, within the caps and the seller's quota) and ServeUpload
// (HEAD, PATCH, DELETE, for the upload's creator only). The first bytes
// are sniffed as they arrive (staging_check.go); the request that brings
// the last byte runs the plain upload's checks on the whole file (keep)
// and the file enters the same worker. Parts wait in a staging area:
// tusd's file store under UploadDir, or multipart uploads in the bucket
// with the S3 store (staging_s3.go), never on the server's disk; each
// request holds the upload's lock in Redis (locker.go). Refused,
// finished, cancelled and expired uploads (SweepUploads, UploadExpiry)
// leave nothing staged. UploadStats counts bytes received and uploads.
//
// # Processing (RunWorker)
//
// Images are decoded and re-encoded as JPEG at 320 and 1280 px wide
// (Catmull-Rom, never upscaled), which drops EXIF. Videos are probed with
// ffprobe, then transcoded by ffmpeg (-nostdin, -protocol_whitelist
// file,pipe, the demuxer forced to mov or matroska, a timeout) into an
// HLS ladder (360p and 720p, never above the source, 4 s segments, a
// master playlist), a progressive MP4 fallback (v/fallback.mp4: H.264
// main, AAC if the source has audio, +faststart, at most 720p) for
// browsers without HLS, and a poster frame. The row becomes ready with its
// dimensions and duration, or failed with a reason (the tail of the
// tool's stderr, or "ffmpeg is not available").
//
// # Serving
//
// FileServer (GET /media/{key...}) serves only processed files (.jpg,
// .m3u8, .ts, .mp4) with X-Content-Type-Options: nosniff, a sandboxing CSP,
// immutable caching and range requests; originals are never served.
// Service.URLs gives the URLs of a ready entry.
//
// # Configuration
//
//	Variable               Default      Meaning
//	MEDIA_DIR              .data/media  local directory files are stored under
//	MEDIA_TMP_DIR          system temp  where uploads land while checked, and work dirs
//	MEDIA_MAX_IMAGE_BYTES  15728640     largest image upload (15 MB)
//	MEDIA_MAX_VIDEO_BYTES  524288000    largest video upload (500 MB)
//	MEDIA_FFMPEG           ffmpeg       ffmpeg binary (name on PATH or path)
//	MEDIA_FFPROBE          ffprobe      ffprobe binary
//	MEDIA_PROCESS_TIMEOUT  10m          time limit for processing one file
//	MEDIA_QUOTA_BYTES      5368709120   total size of one seller's originals (5 GiB)
//	MEDIA_QUOTA_FILES      500          media files one seller may keep
//	MEDIA_MAX_VIDEO_SECONDS 600         longest video, checked before transcoding
//	MEDIA_CONCURRENCY      2            files processed at once per worker
//	MEDIA_URL_PREFIX       /media/      where FileServer is mounted
//	MEDIA_UPLOAD_DIR       <MEDIA_DIR>/uploads  resumable uploads' parts (local disk)
//	MEDIA_UPLOAD_EXPIRY    24h          unfinished resumable uploads are removed after
//	MEDIA_S3_ENDPOINT      (unset)      S3-compatible store instead of MEDIA_DIR
//	MEDIA_S3_BUCKET                     bucket (must exist)
//	MEDIA_S3_ACCESS_KEY                 access key
//	MEDIA_S3_SECRET_KEY                 secret key
//	MEDIA_S3_USE_SSL       true         HTTPS to the endpoint
//	MEDIA_S3_REGION        (ask)        bucket region
//
// # Storage
//
// DiskStore keeps files under MEDIA_DIR. With MEDIA_S3_ENDPOINT set,
// NewService uses S3Store (minio-go) and fails at start when the bucket
// or keys are missing or the bucket does not exist. The S3 store is tested
// against github.com/johannesboyne/gofakes3 (memory backend, httptest on
// loopback) only; real S3 or MinIO was not tried.
//
// Deleting an item: delete the row (item_media rows cascade), then call
// Service.DeleteItemFiles.
package media
