package media

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// testPNG returns a w×h PNG with a gradient.
func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, gradient(w, h)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testJPEG returns a w×h JPEG with a gradient.
func testJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, gradient(w, h), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gradient(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	return img
}

// bombPNG returns a tiny PNG whose header claims w×h pixels.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		body := append([]byte(typ), data...)
		b.Write(body)
		_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(body))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// ftyp returns the start of an ISO-BMFF file with the given brands.
func ftyp(major string, compat ...string) []byte {
	size := 16 + 4*len(compat)
	b := binary.BigEndian.AppendUint32(nil, uint32(size))
	b = append(b, "ftyp"+major+"\x00\x00\x02\x00"...)
	for _, c := range compat {
		b = append(b, c...)
	}
	return append(b, "\x00\x00\x00\x08free"...)
}

func TestSniff(t *testing.T) {
	webm := []byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84}
	webm = append(webm, "webm"...)
	mkv := []byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x82, 0x88}
	mkv = append(mkv, "matroska"...)
	tests := []struct {
		name, ct, kind, code string
		data                 []byte
	}{
		{name: "png", data: testPNG(t, 4, 4), ct: TypePNG, kind: KindImage},
		{name: "jpeg", data: testJPEG(t, 4, 4), ct: TypeJPEG, kind: KindImage},
		{name: "webp", data: []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), ct: TypeWebP, kind: KindImage},
		{name: "mp4 isom", data: ftyp("isom", "isom", "iso2", "avc1", "mp41"), ct: TypeMP4, kind: KindVideo},
		{name: "mp4 mp42", data: ftyp("mp42", "mp42"), ct: TypeMP4, kind: KindVideo},
		{name: "mov", data: ftyp("qt  ", "qt  "), ct: TypeMOV, kind: KindVideo},
		{name: "webm", data: webm, ct: TypeWebM, kind: KindVideo},
		{name: "matroska", data: mkv, code: CodeUnsupportedType},
		{name: "heic", data: ftyp("heic", "mif1", "heic"), code: CodeUnsupportedType},
		{name: "svg", data: []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), code: CodeUnsupportedType},
		{name: "svg bare", data: []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), code: CodeUnsupportedType},
		{name: "html", data: []byte("<!DOCTYPE html><html><script>alert(1)</script>"), code: CodeUnsupportedType},
		{name: "gif", data: []byte("GIF89a\x01\x00\x01\x00"), code: CodeUnsupportedType},
		{name: "pdf", data: []byte("%PDF-1.7\n"), code: CodeUnsupportedType},
		{name: "empty", data: nil, code: CodeUnsupportedType},
		{name: "riff wav", data: []byte("RIFF\x24\x00\x00\x00WAVEfmt "), code: CodeUnsupportedType},
		{name: "short ftyp", data: []byte("\x00\x00\x00\x08ftyp"), code: CodeUnsupportedType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct, kind, err := Sniff(tt.data)
			if tt.code != "" {
				if codeOf(err) != tt.code {
					t.Fatalf("Sniff = %q, %q, %v; want code %s", ct, kind, err, tt.code)
				}
				return
			}
			if err != nil || ct != tt.ct || kind != tt.kind {
				t.Fatalf("Sniff = %q, %q, %v; want %q, %q", ct, kind, err, tt.ct, tt.kind)
			}
		})
	}
}

func TestImageSize(t *testing.T) {
	tests := []struct {
		name       string
		data       []byte
		w, h       int
		code       string
		maxPixelOK bool
	}{
		{name: "png", data: testPNG(t, 30, 20), w: 30, h: 20},
		{name: "jpeg", data: testJPEG(t, 17, 9), w: 17, h: 9},
		{name: "bomb", data: bombPNG(100000, 100000), code: CodeImageTooBig},
		{name: "just over", data: bombPNG(8000, 5001), code: CodeImageTooBig},
		{name: "at limit", data: bombPNG(8000, 5000), w: 8000, h: 5000},
		{name: "garbage", data: []byte("\x89PNG\r\n\x1a\nxxxx"), code: CodeInvalidFile},
		{name: "truncated jpeg", data: testJPEG(t, 8, 8)[:10], code: CodeInvalidFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, h, err := ImageSize(bytes.NewReader(tt.data))
			if tt.code != "" {
				if codeOf(err) != tt.code {
					t.Fatalf("ImageSize = %d, %d, %v; want code %s", w, h, err, tt.code)
				}
				return
			}
			if err != nil || w != tt.w || h != tt.h {
				t.Fatalf("ImageSize = %d, %d, %v; want %d×%d", w, h, err, tt.w, tt.h)
			}
		})
	}
}

// FuzzSniff checks that Sniff never panics and only ever answers with an
// allowlisted type or an unsupported_type error.
func FuzzSniff(f *testing.F) {
	f.Add(testPNG(f, 2, 2))
	f.Add(testJPEG(f, 2, 2))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBP"))
	f.Add(ftyp("isom", "mp41"))
	f.Add(ftyp("qt  "))
	f.Add([]byte{0x1A, 0x45, 0xDF, 0xA3, 'w', 'e', 'b', 'm'})
	f.Add([]byte("<svg/>"))
	f.Add([]byte("\xff\xff\xff\xffftyp"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ct, kind, err := Sniff(data)
		if err != nil {
			if codeOf(err) != CodeUnsupportedType {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		switch ct {
		case TypeJPEG, TypePNG, TypeWebP:
			if kind != KindImage {
				t.Fatalf("%s has kind %s", ct, kind)
			}
		case TypeMP4, TypeMOV, TypeWebM:
			if kind != KindVideo {
				t.Fatalf("%s has kind %s", ct, kind)
			}
		default:
			t.Fatalf("Sniff allowed %q", ct)
		}
	})
}
