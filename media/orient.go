package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"io"
)

// orientation is the EXIF Orientation of a JPEG (1–8): how the stored
// pixels must be turned to be shown upright. Phones store photos as the
// sensor saw them and set this tag instead of rotating, so re-encoding
// (which drops EXIF) must apply it or a portrait photo shows sideways.
type orientation int

// exifScanLimit bounds how much of a file is read looking for the tag:
// the APP1 segment comes right after the start of image and is at most
// 64 KiB, so a little more than that always reaches it.
const exifScanLimit = 128 << 10

// swapsAxes reports whether the upright image is the stored one turned a
// quarter, so its width is the stored height.
func (o orientation) swapsAxes() bool { return o >= 5 && o <= 8 }

// jpegOrientation reads the Orientation tag of a JPEG's EXIF segment. It
// returns 1 (as stored) for anything else, including malformed EXIF: a
// wrong guess only costs a rotation, never an error.
func jpegOrientation(r io.Reader) orientation {
	head, _ := io.ReadAll(io.LimitReader(r, exifScanLimit))
	if len(head) < 4 || head[0] != 0xFF || head[1] != 0xD8 {
		return 1
	}
	for p := 2; p+4 <= len(head); {
		if head[p] != 0xFF {
			return 1
		}
		marker := head[p+1]
		if marker == 0xFF { // fill byte
			p++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan or end of image: no EXIF
			return 1
		}
		n := int(binary.BigEndian.Uint16(head[p+2:]))
		if n < 2 || p+2+n > len(head) {
			return 1
		}
		seg := head[p+4 : p+2+n]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		p += 2 + n
	}
	return 1
}

// tiffOrientation finds tag 0x0112 in the first IFD of a TIFF header.
func tiffOrientation(t []byte) orientation {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	count := int(bo.Uint16(t[ifd:]))
	for i := 0; i < count; i++ {
		e := ifd + 2 + 12*i
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 { // Orientation, SHORT
			if v := orientation(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// upright returns src turned as o says. src is a scaled variant, small
// enough that a pixel-by-pixel copy costs little.
func (o orientation) upright(src *image.RGBA) *image.RGBA {
	if o <= 1 || o > 8 {
		return src
	}
	ws, hs := src.Rect.Dx(), src.Rect.Dy()
	wd, hd := ws, hs
	if o.swapsAxes() {
		wd, hd = hs, ws
	}
	dst := image.NewRGBA(image.Rect(0, 0, wd, hd))
	for dy := 0; dy < hd; dy++ {
		for dx := 0; dx < wd; dx++ {
			var sx, sy int
			switch o {
			case 2: // mirrored
				sx, sy = ws-1-dx, dy
			case 3: // upside down
				sx, sy = ws-1-dx, hs-1-dy
			case 4: // mirrored upside down
				sx, sy = dx, hs-1-dy
			case 5: // transposed
				sx, sy = dy, dx
			case 6: // turned a quarter counter-clockwise when stored
				sx, sy = dy, hs-1-dx
			case 7: // transversed
				sx, sy = ws-1-dy, hs-1-dx
			case 8: // turned a quarter clockwise when stored
				sx, sy = ws-1-dy, dx
			}
			si := src.PixOffset(src.Rect.Min.X+sx, src.Rect.Min.Y+sy)
			di := dst.PixOffset(dx, dy)
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}
