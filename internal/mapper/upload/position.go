package upload

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// FileError rejects an upload file that cannot be read as a whole: it is
// empty, holds no objects, is not JSON of an accepted shape, or is cut
// short. Nothing was stored. It is bad input, like an *InvalidError.
type FileError struct {
	// Line and Column place the problem (1-based, columns in characters);
	// both are 0 when the problem has no place.
	Line   int
	Column int
	// Msg says what is wrong.
	Msg string
	// Err is the underlying decoding error, if any.
	Err error
}

// Error renders "upload file, line 3, column 7: msg".
func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("upload file, line %d, column %d: %s", e.Line, e.Column, e.Msg)
	}
	return "upload file: " + e.Msg
}

// Unwrap returns the underlying decoding error.
func (e *FileError) Unwrap() error { return e.Err }

// tracker sits between the buffered file and the JSON decoder and keeps
// the bytes the decoder has read but not yet consumed, so the line and
// column of an offset the decoder reports can be found. The bytes before
// the start of the current object are dropped by forget, so it holds about
// one object.
type tracker struct {
	r    io.Reader
	base int64  // file offset of buf[head]
	buf  []byte // bytes read; buf[head:] are those from base on
	head int
	line int // line of buf[head], 1-based
	col  int // column of buf[head], 1-based, in characters
}

func newTracker(r io.Reader) *tracker { return &tracker{r: r, line: 1, col: 1} }

// Read reads through to the file and keeps what it read.
func (t *tracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	return n, err
}

// skipped accounts for a byte read from the file before the decoder
// started: white space or a byte of the byte order mark, which takes no
// column.
func (t *tracker) skipped(c byte) {
	t.base++
	if c < utf8.RuneSelf {
		t.advance(c)
	}
}

func (t *tracker) advance(c byte) {
	switch {
	case c == '\n':
		t.line++
		t.col = 1
	case c < utf8.RuneSelf || c >= 0xC0: // not a continuation byte
		t.col++
	}
}

// live returns the bytes read from base on.
func (t *tracker) live() []byte { return t.buf[t.head:] }

// forget drops the bytes before file offset off. The buffer is compacted
// only once most of it is dropped, so each byte is moved a bounded number
// of times.
func (t *tracker) forget(off int64) {
	live := t.live()
	k := int(min(max(off-t.base, 0), int64(len(live))))
	for _, c := range live[:k] {
		t.advance(c)
	}
	t.head += k
	t.base += int64(k)
	if t.head > len(t.buf)/2 {
		t.buf = t.buf[:copy(t.buf, t.buf[t.head:])]
		t.head = 0
	}
}

// end is the file offset just past the bytes read so far.
func (t *tracker) end() int64 { return t.base + int64(len(t.live())) }

// at returns the line and column of file offset off, first skipping the
// bytes of skip found there.
func (t *tracker) at(off int64, skip string) (line, col int) {
	live := t.live()
	k := int(min(max(off-t.base, 0), int64(len(live))))
	for k < len(live) && containsByte(skip, live[k]) {
		k++
	}
	cur := tracker{line: t.line, col: t.col}
	for _, c := range live[:k] {
		cur.advance(c)
	}
	return cur.line, cur.col
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// syntaxError places an error of the JSON decoder's Token in the file. n
// is how many objects were read before it (of the section, if any).
func (t *tracker) syntaxError(err error, n int, section string) error {
	return t.placeError(err, n, section, -1)
}

// valueError places an error of the JSON decoder's Decode of the value that
// starts at file offset start (or at the ',' before it).
func (t *tracker) valueError(err error, n int, section string, start int64) error {
	return t.placeError(err, n, section, start)
}

// placeError places a decoding error. The offset of a *json.SyntaxError
// from Token is where the decoder stopped; the offset from Decode is not a
// file offset, so the value is scanned again from start to find the byte
// it stopped at (start < 0 for Token).
func (t *tracker) placeError(err error, n int, section string, start int64) error {
	after := fmt.Sprintf("after %d objects", n)
	if section != "" {
		after = fmt.Sprintf("after %d objects of %q", n, section)
	}
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		line, col := t.at(t.end(), "")
		return &FileError{Line: line, Column: col, Err: err,
			Msg: fmt.Sprintf("not valid JSON: the file ends inside an object or array (%s); is it cut short?", after)}
	case errors.As(err, &se):
		off := se.Offset
		if start >= 0 {
			off = t.badByte(start, n > 0)
		}
		line, col := t.at(off, " \t\r\n")
		return &FileError{Line: line, Column: col, Err: err, Msg: fmt.Sprintf("not valid JSON: %v (%s)", err, after)}
	}
	return fmt.Errorf("read upload file (%s): %w", after, err)
}

// badByte returns the file offset of the byte that makes the array
// element starting at file offset start invalid JSON, or start when it
// cannot tell. The element is preceded by white space and, when comma is
// set, a ','; a missing comma is the bad byte. The element's bytes up to the
// bad one are all in buf, as the decoder read them.
func (t *tracker) badByte(start int64, comma bool) int64 {
	const space = " \t\r\n"
	live := t.live()
	k := int(min(max(start-t.base, 0), int64(len(live))))
	for k < len(live) && containsByte(space, live[k]) {
		k++
	}
	if comma {
		if k == len(live) || live[k] != ',' {
			return t.base + int64(k)
		}
		k++
		for k < len(live) && containsByte(space, live[k]) {
			k++
		}
	}
	var raw json.RawMessage
	var se *json.SyntaxError
	if err := json.Unmarshal(live[k:], &raw); errors.As(err, &se) && se.Offset > 0 {
		return t.base + int64(k) + se.Offset - 1 // Offset counts the bad byte
	}
	return start
}
