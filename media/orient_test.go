package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"testing"
)

// withEXIF inserts an EXIF APP1 segment right after a JPEG's start of
// image: a big-endian TIFF header whose first IFD holds the Orientation
// tag, followed by extra bytes standing for the rest of the metadata
// (camera, GPS position) that re-encoding must drop.
func withEXIF(jpg []byte, orient uint16, extra string) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")
	_ = binary.Write(&tiff, binary.BigEndian, uint32(8))
	_ = binary.Write(&tiff, binary.BigEndian, uint16(1))      // one entry
	_ = binary.Write(&tiff, binary.BigEndian, uint16(0x0112)) // Orientation
	_ = binary.Write(&tiff, binary.BigEndian, uint16(3))      // SHORT
	_ = binary.Write(&tiff, binary.BigEndian, uint32(1))
	_ = binary.Write(&tiff, binary.BigEndian, orient)
	tiff.Write([]byte{0, 0})
	_ = binary.Write(&tiff, binary.BigEndian, uint32(0)) // no next IFD
	tiff.WriteString(extra)
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	var out bytes.Buffer
	out.Write(jpg[:2])
	out.Write([]byte{0xFF, 0xE1})
	_ = binary.Write(&out, binary.BigEndian, uint16(len(seg)+2))
	out.Write(seg)
	out.Write(jpg[2:])
	return out.Bytes()
}

func TestJPEGOrientation(t *testing.T) {
	plain := testJPEG(t, 8, 6)
	tests := []struct {
		name string
		data []byte
		want orientation
	}{
		{"no exif", plain, 1},
		{"rotated", withEXIF(plain, 6, ""), 6},
		{"mirrored", withEXIF(plain, 2, "x"), 2},
		{"out of range", withEXIF(plain, 9, ""), 1},
		{"png", testPNG(t, 4, 4), 1},
		{"cut exif", withEXIF(plain, 6, "")[:20], 1},
		{"empty", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jpegOrientation(bytes.NewReader(tt.data)); got != tt.want {
				t.Fatalf("orientation %d, want %d", got, tt.want)
			}
		})
	}
}

// TestUpright checks each orientation against the EXIF definition: where
// the stored image's first row and first column lie in the upright one.
// It follows stored pixels (0,0) and (last,0) to the upright corners.
func TestUpright(t *testing.T) {
	const ws, hs = 4, 3
	src := image.NewRGBA(image.Rect(0, 0, ws, hs))
	red, green := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}
	src.Set(0, 0, red)
	src.Set(ws-1, 0, green)
	type pt struct{ x, y int }
	tests := map[orientation][2]func(wd, hd int) pt{
		1: {func(w, h int) pt { return pt{0, 0} }, func(w, h int) pt { return pt{w - 1, 0} }},
		2: {func(w, h int) pt { return pt{w - 1, 0} }, func(w, h int) pt { return pt{0, 0} }},
		3: {func(w, h int) pt { return pt{w - 1, h - 1} }, func(w, h int) pt { return pt{0, h - 1} }},
		4: {func(w, h int) pt { return pt{0, h - 1} }, func(w, h int) pt { return pt{w - 1, h - 1} }},
		5: {func(w, h int) pt { return pt{0, 0} }, func(w, h int) pt { return pt{0, h - 1} }},
		6: {func(w, h int) pt { return pt{w - 1, 0} }, func(w, h int) pt { return pt{w - 1, h - 1} }},
		7: {func(w, h int) pt { return pt{w - 1, h - 1} }, func(w, h int) pt { return pt{w - 1, 0} }},
		8: {func(w, h int) pt { return pt{0, h - 1} }, func(w, h int) pt { return pt{0, 0} }},
	}
	for o, want := range tests {
		dst := o.upright(src)
		wd, hd := dst.Rect.Dx(), dst.Rect.Dy()
		if (o.swapsAxes() && (wd != hs || hd != ws)) || (!o.swapsAxes() && (wd != ws || hd != hs)) {
			t.Fatalf("orientation %d: %dx%d", o, wd, hd)
		}
		r, g := want[0](wd, hd), want[1](wd, hd)
		if dst.RGBAAt(r.x, r.y) != red || dst.RGBAAt(g.x, g.y) != green {
			t.Errorf("orientation %d: red at %v is %v, green at %v is %v", o, r, dst.RGBAAt(r.x, r.y), g, dst.RGBAAt(g.x, g.y))
		}
	}
}

// TestWorkerImageUprightWithoutEXIF uploads a phone-style JPEG (stored
// sideways, Orientation 6, metadata with a position) and checks that the
// variants are upright, sized by their upright width, and carry no EXIF.
func TestWorkerImageUprightWithoutEXIF(t *testing.T) {
	e := newEnv(t, nil)
	stored := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for y := range 300 {
		for x := range 400 {
			c := color.RGBA{0, 0, 255, 255} // right half blue
			if x < 200 {
				c = color.RGBA{255, 0, 0, 255} // left half red
			}
			stored.Set(x, y, c)
		}
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, stored, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	const secret = "GPS 48.8584N 2.2945E SECRETCAM"
	status, out := e.upload(e.seller, e.item, "IMG_0001.JPG", withEXIF(plain.Bytes(), 6, secret))
	if status != http.StatusAccepted {
		t.Fatalf("upload: %d %v", status, out)
	}
	id := out["id"].(string)
	if err := e.svc.Process(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if st, reason := e.status(id); st != StatusReady {
		t.Fatalf("status %s (%s)", st, reason)
	}
	refs, _ := e.svc.items.MediaOf(context.Background(), []string{e.item})
	ref := refs[e.item][0]
	if *ref.Width != 300 || *ref.Height != 400 {
		t.Fatalf("recorded %dx%d, want the upright 300x400", *ref.Width, *ref.Height)
	}
	for role, want := range map[string][2]int{"w320": {300, 400}, "w1280": {300, 400}} {
		resp, body := e.get(e.svc.URLs(ref)[role])
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", role, resp.StatusCode)
		}
		if bytes.Contains(body, []byte("Exif")) || bytes.Contains(body, []byte("SECRETCAM")) {
			t.Fatalf("%s still carries metadata", role)
		}
		img, err := jpeg.Decode(bytes.NewReader(body))
		if err != nil || img.Bounds().Dx() != want[0] || img.Bounds().Dy() != want[1] {
			t.Fatalf("%s: %v %v", role, img.Bounds(), err)
		}
		// Turned a quarter clockwise: the stored left (red) is now the top.
		top, bottom := img.At(want[0]/2, 20), img.At(want[0]/2, want[1]-20)
		if r, _, b, _ := top.RGBA(); r < 0xC000 || b > 0x4000 {
			t.Fatalf("%s: top is %v, want red", role, top)
		}
		if r, _, b, _ := bottom.RGBA(); b < 0xC000 || r > 0x4000 {
			t.Fatalf("%s: bottom is %v, want blue", role, bottom)
		}
	}
}

// FuzzJPEGOrientation feeds arbitrary bytes to the EXIF reader, which
// must never panic and always answer an orientation from 1 to 8.
func FuzzJPEGOrientation(f *testing.F) {
	plain := testJPEG(f, 4, 4)
	f.Add(plain)
	f.Add(withEXIF(plain, 6, "extra"))
	f.Add(withEXIF(plain, 8, "")[:40])
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(bytes.NewReader(data)); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}
