package qualys

import (
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
	"time"
)

// xmlReader walks an XML document one element at a time. Its methods
// consume exactly the element just started (text, skip) or return its next
// child (next), so record decoders are plain switch statements over child
// names. It sits on scanner, a tokenizer that allocates nothing per
// element.
type xmlReader struct {
	s *scanner
	// serverTime is the RESPONSE/DATETIME of an FO document, once read.
	serverTime time.Time
}

func newXMLReader(r io.Reader) *xmlReader {
	return &xmlReader{s: newScanner(r)}
}

// offset is the byte offset reached in the input.
func (x *xmlReader) offset() int64 { return x.s.offset() }

// root returns the document's root element, skipping the prolog.
func (x *xmlReader) root() (xml.StartElement, error) {
	s := x.s
	for {
		for s.pos < s.end || s.fill() {
			if !isSpace(s.buf[s.pos]) {
				break
			}
			s.pos++
		}
		if s.atEOF() {
			if s.rerr != nil {
				return xml.StartElement{}, s.endErr("before the root element")
			}
			return xml.StartElement{}, malformed("no root element")
		}
		if s.buf[s.pos] != '<' {
			return xml.StartElement{}, s.syntax("text before the root element")
		}
		kind, se, err := s.markup(false)
		if err != nil {
			return xml.StartElement{}, err
		}
		switch kind {
		case mStart:
			return se, nil
		case mEnd:
			return xml.StartElement{}, s.syntax("end tag before the root element")
		}
	}
}

// next returns the next child element of the current element, or ok=false
// once the current element has ended. Text and comments between children
// are skipped.
func (x *xmlReader) next() (xml.StartElement, bool, error) {
	s := x.s
	for {
		if s.closePending() {
			return xml.StartElement{}, false, nil
		}
		if err := s.readText(false); err != nil {
			return xml.StartElement{}, false, err
		}
		if s.atEOF() {
			return xml.StartElement{}, false, x.unclosed()
		}
		kind, se, err := s.markup(false)
		if err != nil {
			return xml.StartElement{}, false, err
		}
		switch kind {
		case mStart:
			return se, true, nil
		case mEnd:
			return xml.StartElement{}, false, nil
		}
	}
}

// unclosed is the error for input that ends inside an element.
func (x *xmlReader) unclosed() error {
	s := x.s
	if len(s.stack) == 0 {
		return s.endErr("outside any element")
	}
	return s.endErr("inside <" + s.stack[len(s.stack)-1] + ">")
}

// textBytes reads the text of the element just started up to its end.
// CDATA is kept as sent; entities elsewhere are replaced; child elements
// are skipped. The bytes are valid until the next call.
func (x *xmlReader) textBytes() ([]byte, error) {
	s := x.s
	s.text = s.text[:0]
	if s.closePending() {
		return s.text, nil
	}
	for {
		if err := s.readText(true); err != nil {
			return nil, err
		}
		if s.atEOF() {
			return nil, x.unclosed()
		}
		kind, _, err := s.markup(true)
		if err != nil {
			return nil, err
		}
		switch kind {
		case mStart:
			mark := len(s.text)
			if err := x.skip(); err != nil {
				return nil, err
			}
			s.text = s.text[:mark]
		case mEnd:
			return s.text, nil
		}
	}
}

// raw returns the element's text exactly as sent (for CDATA free text).
func (x *xmlReader) raw() (string, error) {
	b, err := x.textBytes()
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// str returns the element's text with surrounding white space trimmed.
func (x *xmlReader) str() (string, error) {
	b, err := x.textBytes()
	if err != nil {
		return "", err
	}
	return string(bytes.TrimSpace(b)), nil
}

// enum returns the element's trimmed text, interned: for the short
// values of a small set (TYPE, STATUS, PROTOCOL, ...) that repeat on every
// record and would otherwise cost an allocation each.
func (x *xmlReader) enum() (string, error) {
	b, err := x.textBytes()
	if err != nil {
		return "", err
	}
	b = bytes.TrimSpace(b)
	if len(b) > 32 {
		return string(b), nil
	}
	return x.s.intern(b), nil
}

// int returns the element's integer value; empty text gives 0.
func (x *xmlReader) int(name string) (int64, error) {
	b, err := x.textBytes()
	if err != nil {
		return 0, err
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, nil
	}
	n, ok := parseInt(b)
	if !ok {
		return 0, malformed("element %s at byte %d: %q is not an integer", name, x.offset(), truncate(string(b), 40))
	}
	return n, nil
}

// intPtr is int for optional elements: present elements give a pointer.
func (x *xmlReader) intPtr(name string) (*int64, error) {
	n, err := x.int(name)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// float returns the element's decimal value, nil when empty.
func (x *xmlReader) float(name string) (*float64, error) {
	b, err := x.textBytes()
	if err != nil {
		return nil, err
	}
	s := string(bytes.TrimSpace(b))
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, malformed("element %s at byte %d: %q is not a number", name, x.offset(), truncate(s, 40))
	}
	return &f, nil
}

// bool reads 0/1 or true/false; empty gives false.
func (x *xmlReader) bool(name string) (bool, error) {
	b, err := x.textBytes()
	if err != nil {
		return false, err
	}
	switch string(bytes.TrimSpace(b)) {
	case "1", "true", "TRUE", "True":
		return true, nil
	case "0", "false", "FALSE", "False", "":
		return false, nil
	}
	return false, malformed("element %s at byte %d: %q is not a boolean", name, x.offset(), truncate(string(b), 40))
}

// boolPtr is bool for optional elements.
func (x *xmlReader) boolPtr(name string) (*bool, error) {
	v, err := x.bool(name)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// time reads a date (YYYY-MM-DD[THH:MM:SS[.fff]Z]), white space trimmed
// anywhere; empty gives the zero time.
func (x *xmlReader) time(name string) (time.Time, error) {
	b, err := x.textBytes()
	if err != nil {
		return time.Time{}, err
	}
	t, ok := parseTime(b)
	if !ok {
		return time.Time{}, malformed("element %s at byte %d: %q is not a date", name, x.offset(), truncate(string(b), 40))
	}
	return t, nil
}

// skip drops the element just started.
func (x *xmlReader) skip() error {
	s := x.s
	if s.closePending() {
		return nil
	}
	depth := len(s.stack)
	mark := len(s.text)
	defer func() { s.text = s.text[:mark] }()
	for {
		if err := s.readText(false); err != nil {
			return err
		}
		if s.atEOF() {
			return x.unclosed()
		}
		kind, _, err := s.markup(false)
		if err != nil {
			return err
		}
		switch kind {
		case mStart:
			s.closePending()
		case mEnd:
			if len(s.stack) < depth {
				return nil
			}
		}
	}
}

// attr returns the value of the named attribute.
func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseTime parses Qualys dates, ignoring white space anywhere in them.
func parseTime(b []byte) (time.Time, bool) {
	var clean [40]byte
	n := 0
	for _, c := range b {
		if c == ' ' || c == '\n' || c == '\r' || c == '\t' {
			continue
		}
		if n == len(clean) {
			return time.Time{}, false
		}
		clean[n] = c
		n++
	}
	s := clean[:n]
	if n == 0 {
		return time.Time{}, true
	}
	if n == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z' {
		y, ok1 := digits(s[0:4])
		mo, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		h, ok4 := digits(s[11:13])
		mi, ok5 := digits(s[14:16])
		se, ok6 := digits(s[17:19])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && se < 61 {
			return time.Date(y, time.Month(mo), d, h, mi, se, 0, time.UTC), true
		}
		return time.Time{}, false
	}
	str := string(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, str); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
