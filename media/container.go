package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// maxTopLevelBoxes bounds the walk over an MP4/MOV file's top-level boxes;
// real files have a handful, a crafted one could declare millions of
// empty ones.
const maxTopLevelBoxes = 10_000

// CheckVideo looks at the container structure of an uploaded video of
// the given sniffed type and size, without decoding anything, and refuses
// (code invalid_file) one that is cut short or malformed at the top level:
// an MP4 or MOV whose boxes run past the end of the file or that has no
// movie header (moov), or a WebM whose segment declares more bytes than
// the file holds. It is cheap enough for the request path, so a truncated
// upload is refused at once instead of failing later in ffprobe; damage
// inside the streams is still found by processing.
func CheckVideo(r io.ReadSeeker, size int64, contentType string) error {
	switch contentType {
	case TypeMP4, TypeMOV:
		return checkBoxes(r, size)
	case TypeWebM:
		return checkEBML(r, size)
	}
	return nil
}

// checkBoxes walks the top-level ISO-BMFF boxes.
func checkBoxes(r io.ReadSeeker, size int64) error {
	var hdr [16]byte
	moov := false
	off := int64(0)
	for n := 0; off < size; n++ {
		if n == maxTopLevelBoxes {
			return newError(CodeInvalidFile, "the video has too many top-level boxes")
		}
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			return fmt.Errorf("check video: %w", err)
		}
		if size-off < 8 {
			return truncated("a box header")
		}
		if _, err := io.ReadFull(r, hdr[:8]); err != nil {
			return fmt.Errorf("check video: %w", err)
		}
		boxSize := int64(binary.BigEndian.Uint32(hdr[:4]))
		typ := string(hdr[4:8])
		switch boxSize {
		case 0: // the box runs to the end of the file
			boxSize = size - off
		case 1: // a 64-bit size follows the type
			if size-off < 16 {
				return truncated("the " + printable(typ) + " box header")
			}
			if _, err := io.ReadFull(r, hdr[8:16]); err != nil {
				return fmt.Errorf("check video: %w", err)
			}
			u := binary.BigEndian.Uint64(hdr[8:16])
			if u > uint64(size) {
				return truncated("the " + printable(typ) + " box")
			}
			boxSize = int64(u)
			if boxSize < 16 {
				return newError(CodeInvalidFile, "the video has a malformed box")
			}
		default:
			if boxSize < 8 {
				return newError(CodeInvalidFile, "the video has a malformed box")
			}
		}
		if boxSize > size-off {
			return truncated("the " + printable(typ) + " box")
		}
		if typ == "moov" {
			moov = true
		}
		off += boxSize
	}
	if !moov {
		return newError(CodeInvalidFile, "the video has no movie header (moov box); it may be incomplete")
	}
	return nil
}

// checkEBML reads a WebM's EBML header and the declared size of its
// Segment. A segment of unknown size (as live recorders write) cannot be
// checked and passes.
func checkEBML(r io.ReadSeeker, size int64) error {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("check video: %w", err)
	}
	br := &countingReader{r: r}
	id, n, unknown, err := readElement(br)
	if err != nil || id != 0x1A45DFA3 || unknown {
		return newError(CodeInvalidFile, "the WebM header is malformed")
	}
	if n > uint64(size-br.n) {
		return truncated("the WebM header")
	}
	if _, err := r.Seek(int64(n), io.SeekCurrent); err != nil {
		return fmt.Errorf("check video: %w", err)
	}
	br.n += int64(n)
	id, n, unknown, err = readElement(br)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return truncated("the WebM segment header")
	}
	if err != nil || id != 0x18538067 {
		return newError(CodeInvalidFile, "the WebM file has no segment")
	}
	if !unknown && n > uint64(size-br.n) {
		return truncated("the WebM segment")
	}
	return nil
}

// readElement reads an EBML element ID and data size (both variable
// length integers); unknown reports the reserved "size unknown" value.
func readElement(r io.ByteReader) (id uint64, size uint64, unknown bool, err error) {
	id, _, err = readVint(r, false)
	if err != nil {
		return 0, 0, false, err
	}
	size, allOnes, err := readVint(r, true)
	return id, size, allOnes, err
}

// readVint reads an EBML variable-length integer of 1 to 8 bytes. With
// strip, the length marker bit is removed (a data size); without, it is
// kept (an element ID, as IDs are written). allOnes reports a value whose
// bits are all set, which for sizes means "unknown".
func readVint(r io.ByteReader, strip bool) (v uint64, allOnes bool, err error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, false, err
	}
	length := 1
	for mask := byte(0x80); mask != 0 && b&mask == 0; mask >>= 1 {
		length++
	}
	if length > 8 {
		return 0, false, newError(CodeInvalidFile, "the WebM file has a malformed number")
	}
	v = uint64(b)
	if strip {
		v &= uint64(0xFF >> length)
	}
	for i := 1; i < length; i++ {
		c, err := r.ReadByte()
		if err != nil {
			return 0, false, err
		}
		v = v<<8 | uint64(c)
	}
	bits := uint(7 * length)
	return v, strip && v == 1<<bits-1, nil
}

// countingReader reads bytes one at a time and counts them.
type countingReader struct {
	r io.Reader
	n int64
}

// ReadByte implements io.ByteReader.
func (c *countingReader) ReadByte() (byte, error) {
	var b [1]byte
	if _, err := io.ReadFull(c.r, b[:]); err != nil {
		return 0, err
	}
	c.n++
	return b[0], nil
}

// truncated is the invalid_file rejection of a file cut short.
func truncated(what string) *Error {
	return newError(CodeInvalidFile, "the video is incomplete: "+what+" runs past the end of the file (was the upload cut short?)")
}

// printable shows a box type in a message, or "?" for binary junk.
func printable(typ string) string {
	for _, c := range []byte(typ) {
		if c < 0x20 || c > 0x7E {
			return "?"
		}
	}
	return "'" + typ + "'"
}
