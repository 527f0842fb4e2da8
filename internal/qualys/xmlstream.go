package qualys

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// xmlReader walks an XML document one element at a time on top of
// encoding/xml's token stream. Its methods consume exactly the element just
// started (text, skip) or its children (next), so record decoders are plain
// switch statements over child names.
type xmlReader struct {
	dec *xml.Decoder
	buf []byte
}

func newXMLReader(r io.Reader) *xmlReader {
	d := xml.NewDecoder(r)
	d.Strict = true
	d.CharsetReader = charsetReader
	return &xmlReader{dec: d}
}

// offset is the byte offset reached in the input.
func (x *xmlReader) offset() int64 { return x.dec.InputOffset() }

// root returns the document's root element, skipping the prolog.
func (x *xmlReader) root() (xml.StartElement, error) {
	for {
		tok, err := x.dec.Token()
		if err != nil {
			if err == io.EOF {
				return xml.StartElement{}, malformed("no root element")
			}
			return xml.StartElement{}, x.wrap(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return xml.StartElement{}, malformed("text %q before the root element", truncate(string(t), 40))
			}
		}
	}
}

// next returns the next child element of the current element, or ok=false
// once the current element has ended. Text and comments between children
// are skipped.
func (x *xmlReader) next() (xml.StartElement, bool, error) {
	for {
		tok, err := x.dec.Token()
		if err != nil {
			if err == io.EOF {
				return xml.StartElement{}, false, malformed("unexpected end of document")
			}
			return xml.StartElement{}, false, x.wrap(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, true, nil
		case xml.EndElement:
			return xml.StartElement{}, false, nil
		}
	}
}

// textBytes reads the text of the element just started up to its end.
// CDATA is kept as sent; child elements are skipped. The bytes are valid
// until the next call.
func (x *xmlReader) textBytes() ([]byte, error) {
	x.buf = x.buf[:0]
	for {
		tok, err := x.dec.Token()
		if err != nil {
			if err == io.EOF {
				return nil, malformed("unexpected end of document")
			}
			return nil, x.wrap(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			x.buf = append(x.buf, t...)
		case xml.StartElement:
			if err := x.dec.Skip(); err != nil {
				return nil, x.wrap(err)
			}
		case xml.EndElement:
			return x.buf, nil
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
	if err := x.dec.Skip(); err != nil {
		return x.wrap(err)
	}
	return nil
}

// wrap turns a tokenizer error into a malformed-body error.
func (x *xmlReader) wrap(err error) error {
	var de *decodeError
	if errors.As(err, &de) {
		return err
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return malformedWrap(err, "XML syntax error")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return malformedWrap(err, "body ended early")
	}
	return fmt.Errorf("read body: %w", err)
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

// charsetReader accepts the encodings Qualys declares.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "latin1", "latin-1":
		return &latin1Reader{r: input}, nil
	}
	return nil, fmt.Errorf("unsupported XML encoding %q", label)
}

// latin1Reader converts ISO-8859-1 to UTF-8.
type latin1Reader struct {
	r   io.Reader
	buf []byte
	out []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(l.out) == 0 {
		if cap(l.buf) == 0 {
			l.buf = make([]byte, 4096)
		}
		n, err := l.r.Read(l.buf[:min(len(p)/2+1, len(l.buf))])
		for _, c := range l.buf[:n] {
			if c < 0x80 {
				l.out = append(l.out, c)
			} else {
				l.out = append(l.out, 0xC0|c>>6, 0x80|c&0x3F)
			}
		}
		if len(l.out) == 0 {
			return 0, err
		}
	}
	n := copy(p, l.out)
	l.out = l.out[n:]
	return n, nil
}
