package media

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // register the JPEG decoder for DecodeConfig and Decode
	_ "image/png"  // register the PNG decoder
	"io"
	"net/http"

	_ "golang.org/x/image/webp" // register the WebP decoder
)

// Kinds of media, as stored in item_media.kind.
const (
	KindImage = "image"
	KindVideo = "video"
)

// Allowed content types.
const (
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypeWebP = "image/webp"
	TypeMP4  = "video/mp4"
	TypeMOV  = "video/quicktime"
	TypeWebM = "video/webm"
)

// SniffLen is how many leading bytes Sniff looks at.
const SniffLen = 512

// MaxPixels is the largest width × height an image may declare; beyond it
// a full decode could exhaust memory (a decompression bomb).
const MaxPixels = 40_000_000

// Sniff returns the allowlisted content type and kind of a file from its
// first bytes, or an error with code unsupported_type. Names and
// client-sent headers are never consulted.
func Sniff(head []byte) (contentType, kind string, err error) {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	switch {
	case len(head) >= 12 && bytes.Equal(head[0:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		return TypeWebP, KindImage, nil
	case len(head) >= 4 && bytes.Equal(head[0:4], []byte{0x1A, 0x45, 0xDF, 0xA3}):
		if bytes.Contains(head, []byte("webm")) {
			return TypeWebM, KindVideo, nil
		}
		return "", "", newError(CodeUnsupportedType, "Matroska files other than WebM are not accepted")
	case len(head) >= 12 && bytes.Equal(head[4:8], []byte("ftyp")):
		if t := ftypType(head); t != "" {
			return t, KindVideo, nil
		}
		return "", "", newError(CodeUnsupportedType, "this MP4/QuickTime brand is not accepted")
	}
	switch ct := http.DetectContentType(head); ct {
	case TypeJPEG, TypePNG:
		return ct, KindImage, nil
	default:
		return "", "", newError(CodeUnsupportedType, fmt.Sprintf("files of type %s are not accepted; use JPEG, PNG, WebP, MP4, MOV or WebM", ct))
	}
}

// ftypType reads the major and compatible brands of an ISO-BMFF "ftyp"
// box and maps them to MP4 or MOV, or "" for brands we do not accept
// (HEIC images, 3GP, and so on).
func ftypType(head []byte) string {
	size := int(uint32(head[0])<<24 | uint32(head[1])<<16 | uint32(head[2])<<8 | uint32(head[3]))
	if size < 16 || size > len(head) {
		size = min(len(head), 64)
	}
	var brands [][]byte
	brands = append(brands, head[8:12])
	for off := 16; off+4 <= size; off += 4 {
		brands = append(brands, head[off:off+4])
	}
	for _, b := range brands {
		switch string(b) {
		case "qt  ":
			return TypeMOV
		}
	}
	for _, b := range brands {
		switch string(b) {
		case "isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "M4V ", "dash", "msnv":
			return TypeMP4
		}
	}
	return ""
}

// ImageSize reads only the header of an image and returns its dimensions,
// refusing images above MaxPixels (code image_too_big) or whose header
// cannot be parsed (code invalid_file), all before any full decode.
func ImageSize(r io.Reader) (width, height int, err error) {
	cfg, _, err := image.DecodeConfig(r)
	if err != nil {
		return 0, 0, newError(CodeInvalidFile, "the image header could not be read: "+err.Error())
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return 0, 0, newError(CodeInvalidFile, "the image has no pixels")
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return 0, 0, newError(CodeImageTooBig, fmt.Sprintf("the image is %d×%d pixels; at most %d megapixels are accepted",
			cfg.Width, cfg.Height, MaxPixels/1_000_000))
	}
	return cfg.Width, cfg.Height, nil
}
