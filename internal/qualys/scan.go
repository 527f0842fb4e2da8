package qualys

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// scanner is the pull tokenizer under xmlReader: a strict reader of the
// XML that Qualys sends (declaration, DOCTYPE, comments, processing
// instructions, elements with attributes, text with the predefined and
// numeric entities, CDATA), several times faster than encoding/xml on the
// detection hot path because it allocates nothing per element: names are
// interned and text is returned as slices of its buffer.
//
// It checks what a broken answer breaks: end tags match start tags, the
// document does not end inside an element, text and names are valid UTF-8
// without control characters, entities are known. It does not check DTDs.
type scanner struct {
	r    io.Reader
	buf  []byte
	pos  int   // next unread byte
	end  int   // end of the data in buf
	base int64 // input offset of buf[0]
	eof  bool
	rerr error // read error other than io.EOF

	stack      []string
	names      map[string]string
	pendingEnd bool // a self-closing element awaits its end
	text       []byte
	attrs      []xml.Attr
}

func newScanner(r io.Reader) *scanner {
	return &scanner{r: r, buf: make([]byte, 64<<10), names: make(map[string]string, 128)}
}

// offset is the input offset of the next unread byte.
func (s *scanner) offset() int64 { return s.base + int64(s.pos) }

func (s *scanner) syntax(format string, args ...any) error {
	return malformed("XML syntax error at byte %d: %s", s.offset(), fmt.Sprintf(format, args...))
}

// fill reads more input; it reports false at the end of the input.
func (s *scanner) fill() bool {
	if s.eof || s.rerr != nil {
		return false
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.end, s.pos = n, 0
	}
	if s.end == len(s.buf) {
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			if err == io.EOF {
				s.eof = true
			} else {
				s.rerr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// endErr is the error for input that ends where more was needed.
// The input was cut off (it matches errCutOff): the body ended early, the
// connection broke mid-body, or the document ends before its root closes.
func (s *scanner) endErr(what string) error {
	if s.rerr != nil {
		if errors.Is(s.rerr, io.ErrUnexpectedEOF) {
			return &decodeError{msg: fmt.Sprintf("body ended early at byte %d, %s", s.offset(), what), err: s.rerr, cut: true}
		}
		return &readError{offset: s.offset(), err: s.rerr}
	}
	return &decodeError{msg: fmt.Sprintf("document ends at byte %d %s", s.offset(), what), cut: true}
}

// find returns the index (relative to pos) of sep at or after pos+from,
// reading more input as needed; -1 at the end of the input.
func (s *scanner) find(sep []byte, from int) int {
	for {
		if i := bytes.Index(s.buf[s.pos+from:s.end], sep); i >= 0 {
			return from + i
		}
		from = max(0, s.end-s.pos-len(sep)+1)
		if !s.fill() {
			return -1
		}
	}
}

// need makes n bytes available from pos; false at the end of the input.
func (s *scanner) need(n int) bool {
	for s.end-s.pos < n {
		if !s.fill() {
			return false
		}
	}
	return true
}

// checkText reports whether b is valid UTF-8 without control characters.
func checkText(b []byte) bool {
	for i, c := range b {
		if c < 0x20 {
			if c != '\t' && c != '\n' && c != '\r' {
				return false
			}
		} else if c >= 0x80 {
			return utf8.Valid(b[i:]) && checkControls(b[i:])
		}
	}
	return true
}

func checkControls(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// markup kinds.
const (
	mStart = iota
	mEnd
	mOther // comment, processing instruction, declaration
	mCDATA
)

// text consumes character data up to the next '<'. With keep, the
// decoded text is appended to s.text.
func (s *scanner) readText(keep bool) error {
	for {
		if s.pos == s.end && !s.fill() {
			return nil
		}
		chunk := s.buf[s.pos:s.end]
		i := bytes.IndexByte(chunk, '<')
		if i < 0 {
			i = len(chunk)
		}
		seg := chunk[:i]
		// Entities may straddle the end of the data read so far.
		if i == len(chunk) {
			if amp := bytes.LastIndexByte(seg, '&'); amp >= 0 && bytes.IndexByte(seg[amp:], ';') < 0 {
				if len(seg)-amp > 12 {
					return s.syntax("unterminated entity")
				}
				seg = seg[:amp]
				if len(seg) == 0 {
					if !s.fill() {
						return s.endErr("inside an entity")
					}
					continue
				}
			}
		}
		if !checkText(seg) {
			return s.syntax("invalid UTF-8 or control character in text")
		}
		if keep {
			if err := s.appendDecoded(seg); err != nil {
				return err
			}
		} else if bytes.IndexByte(seg, '&') >= 0 {
			if err := s.checkEntities(seg); err != nil {
				return err
			}
		}
		s.pos += len(seg)
		if s.pos < s.end && s.buf[s.pos] == '<' {
			return nil
		}
	}
}

func (s *scanner) checkEntities(seg []byte) error {
	mark := len(s.text)
	err := s.appendDecoded(seg)
	s.text = s.text[:mark]
	return err
}

// appendDecoded appends seg to s.text, replacing entity references.
func (s *scanner) appendDecoded(seg []byte) error {
	for {
		amp := bytes.IndexByte(seg, '&')
		if amp < 0 {
			s.text = append(s.text, seg...)
			return nil
		}
		s.text = append(s.text, seg[:amp]...)
		seg = seg[amp:]
		semi := bytes.IndexByte(seg, ';')
		if semi < 0 {
			return s.syntax("unterminated entity")
		}
		r, ok := entity(seg[1:semi])
		if !ok {
			return s.syntax("unknown entity %q", truncate(string(seg[:semi+1]), 20))
		}
		s.text = utf8.AppendRune(s.text, r)
		seg = seg[semi+1:]
	}
}

func entity(name []byte) (rune, bool) {
	switch string(name) {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	if len(name) > 1 && name[0] == '#' {
		var n uint64
		var err error
		if name[1] == 'x' || name[1] == 'X' {
			n, err = strconv.ParseUint(string(name[2:]), 16, 32)
		} else {
			n, err = strconv.ParseUint(string(name[1:]), 10, 32)
		}
		if err != nil || n > utf8.MaxRune || (n < 0x20 && n != '\t' && n != '\n' && n != '\r') {
			return 0, false
		}
		return rune(n), utf8.ValidRune(rune(n))
	}
	return 0, false
}

// markup reads the markup at pos ('<' is there). Start and end tags come
// back with their element; CDATA content is appended to s.text when keep.
func (s *scanner) markup(keep bool) (int, xml.StartElement, error) {
	if !s.need(2) {
		return 0, xml.StartElement{}, s.endErr("inside markup")
	}
	switch s.buf[s.pos+1] {
	case '/':
		return s.endTag()
	case '?':
		i := s.find([]byte("?>"), 2)
		if i < 0 {
			return 0, xml.StartElement{}, s.endErr("inside a processing instruction")
		}
		if err := s.checkDecl(s.buf[s.pos : s.pos+i]); err != nil {
			return 0, xml.StartElement{}, err
		}
		s.pos += i + 2
		return mOther, xml.StartElement{}, nil
	case '!':
		if !s.need(4) {
			return 0, xml.StartElement{}, s.endErr("inside markup")
		}
		if bytes.HasPrefix(s.buf[s.pos:s.end], []byte("<!--")) {
			i := s.find([]byte("-->"), 4)
			if i < 0 {
				return 0, xml.StartElement{}, s.endErr("inside a comment")
			}
			// Comment bytes are not checked: they carry no data.
			s.pos += i + 3
			return mOther, xml.StartElement{}, nil
		}
		if s.need(9) && bytes.HasPrefix(s.buf[s.pos:s.end], []byte("<![CDATA[")) {
			if len(s.stack) == 0 {
				return 0, xml.StartElement{}, s.syntax("CDATA outside the root element")
			}
			i := s.find([]byte("]]>"), 9)
			if i < 0 {
				return 0, xml.StartElement{}, s.endErr("inside CDATA")
			}
			data := s.buf[s.pos+9 : s.pos+i]
			if !checkText(data) {
				return 0, xml.StartElement{}, s.syntax("invalid UTF-8 or control character in CDATA")
			}
			if keep {
				s.text = append(s.text, data...)
			}
			s.pos += i + 3
			return mCDATA, xml.StartElement{}, nil
		}
		return s.declaration()
	}
	return s.startTag()
}

// checkDecl refuses an XML declaration naming an encoding other than
// UTF-8. Like encoding/xml it reads only a well-formed encoding="..."
// (or '...') and ignores anything else.
func (s *scanner) checkDecl(pi []byte) error {
	if !bytes.HasPrefix(pi, []byte("<?xml")) || len(pi) < 6 || !isSpace(pi[5]) {
		return nil
	}
	rest := pi[5:]
	for {
		k := bytes.Index(rest, []byte("encoding="))
		if k < 0 || k+len("encoding=") >= len(rest) {
			return nil
		}
		rest = rest[k+len("encoding="):]
		if q := rest[0]; q == '"' || q == '\'' {
			j := bytes.IndexByte(rest[1:], q)
			if j < 0 {
				return nil
			}
			enc := string(rest[1 : 1+j])
			if enc == "" || equalFoldASCII(enc, "utf-8") {
				return nil
			}
			return s.syntax("unsupported encoding %q (want UTF-8)", truncate(enc, 20))
		}
	}
}

func equalFoldASCII(a, b string) bool {
	return len(a) == len(b) && string(bytes.ToLower([]byte(a))) == b
}

// declaration skips a directive such as <!DOCTYPE ...>, the way
// encoding/xml reads one: quoted text is opaque, "<" and ">" nest, and
// comments inside are skipped.
func (s *scanner) declaration() (int, xml.StartElement, error) {
	depth := 0
	var quote byte
	// The first byte after "<!" is taken as is, as encoding/xml does.
	i := 3
	at := func(i int) (byte, bool) {
		if s.pos+i >= s.end && !s.need(i+1) {
			return 0, false
		}
		return s.buf[s.pos+i], true
	}
	for ; ; i++ {
		c, ok := at(i)
		if !ok {
			return 0, xml.StartElement{}, s.endErr("inside a declaration")
		}
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			if depth == 0 {
				s.pos += i + 1
				return mOther, xml.StartElement{}, nil
			}
			depth--
		case c == '<':
			if s.need(i+4) && bytes.Equal(s.buf[s.pos+i+1:s.pos+i+4], []byte("!--")) {
				j := s.find([]byte("-->"), i+4)
				if j < 0 {
					return 0, xml.StartElement{}, s.endErr("inside a comment")
				}
				i = j + 2
				continue
			}
			depth++
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

func isNameByte(c byte) bool {
	return !isSpace(c) && c != '>' && c != '/' && c != '=' && c != '<' && c != '"' && c != '\'' && c != '&'
}

// intern returns the string for name without allocating when seen before.
func (s *scanner) intern(name []byte) string {
	if v, ok := s.names[string(name)]; ok {
		return v
	}
	v := string(name)
	if len(s.names) < 4096 {
		s.names[v] = v
	}
	return v
}

// tagEnd returns the index (relative to pos) of the '>' closing the tag at
// pos, skipping quoted attribute values.
func (s *scanner) tagEnd() int {
	var quote byte
	for i := 1; ; i++ {
		if s.pos+i >= s.end && !s.need(i+1) {
			return -1
		}
		c := s.buf[s.pos+i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		case c == '<':
			return -2
		}
	}
}

func (s *scanner) startTag() (int, xml.StartElement, error) {
	end := s.tagEnd()
	switch end {
	case -1:
		return 0, xml.StartElement{}, s.endErr("inside a start tag")
	case -2:
		return 0, xml.StartElement{}, s.syntax("'<' inside a tag")
	}
	tag := s.buf[s.pos+1 : s.pos+end]
	selfClosing := len(tag) > 0 && tag[len(tag)-1] == '/'
	if selfClosing {
		tag = tag[:len(tag)-1]
	}
	n := 0
	for n < len(tag) && isNameByte(tag[n]) {
		n++
	}
	if n == 0 || (tag[0] >= '0' && tag[0] <= '9') || tag[0] == '-' || tag[0] == '.' {
		return 0, xml.StartElement{}, s.syntax("bad element name")
	}
	if !utf8.Valid(tag[:n]) {
		return 0, xml.StartElement{}, s.syntax("invalid UTF-8 in an element name")
	}
	name := s.intern(tag[:n])
	se := xml.StartElement{Name: xml.Name{Local: localName(name)}}
	if rest := tag[n:]; len(rest) > 0 {
		if !isSpace(rest[0]) {
			return 0, xml.StartElement{}, s.syntax("bad element name")
		}
		attrs, err := s.parseAttrs(rest)
		if err != nil {
			return 0, xml.StartElement{}, err
		}
		se.Attr = attrs
	}
	s.pos += end + 1
	s.stack = append(s.stack, name)
	s.pendingEnd = selfClosing
	return mStart, se, nil
}

// localName drops a namespace prefix ("xsi:type" gives "type"), as
// encoding/xml does: only a colon with text on both sides splits.
func localName(name string) string {
	if i := strings.IndexByte(name, ':'); i >= 1 && i <= len(name)-2 {
		return name[i+1:]
	}
	return name
}

func (s *scanner) parseAttrs(b []byte) ([]xml.Attr, error) {
	var out []xml.Attr
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		if len(b) == 0 {
			return out, nil
		}
		n := 0
		for n < len(b) && isNameByte(b[n]) {
			n++
		}
		if n == 0 {
			return nil, s.syntax("bad attribute")
		}
		name := string(b[:n])
		b = bytes.TrimLeft(b[n:], " \t\r\n")
		if len(b) == 0 || b[0] != '=' {
			return nil, s.syntax("attribute %s without a value", truncate(name, 20))
		}
		b = bytes.TrimLeft(b[1:], " \t\r\n")
		if len(b) == 0 || (b[0] != '"' && b[0] != '\'') {
			return nil, s.syntax("attribute %s value not quoted", truncate(name, 20))
		}
		j := bytes.IndexByte(b[1:], b[0])
		if j < 0 {
			return nil, s.syntax("attribute %s value not closed", truncate(name, 20))
		}
		raw := b[1 : 1+j]
		if !checkText(raw) || bytes.IndexByte(raw, '<') >= 0 {
			return nil, s.syntax("bad character in attribute %s", truncate(name, 20))
		}
		mark := len(s.text)
		if err := s.appendDecoded(raw); err != nil {
			return nil, err
		}
		val := string(s.text[mark:])
		s.text = s.text[:mark]
		out = append(out, xml.Attr{Name: xml.Name{Local: localName(name)}, Value: val})
		b = b[2+j:]
	}
}

func (s *scanner) endTag() (int, xml.StartElement, error) {
	end := s.tagEnd()
	switch end {
	case -1:
		return 0, xml.StartElement{}, s.endErr("inside an end tag")
	case -2:
		return 0, xml.StartElement{}, s.syntax("'<' inside a tag")
	}
	name := s.buf[s.pos+2 : s.pos+end]
	for len(name) > 0 && isSpace(name[len(name)-1]) {
		name = name[:len(name)-1]
	}
	if len(s.stack) == 0 {
		return 0, xml.StartElement{}, s.syntax("end tag </%s> without a start tag", truncate(string(name), 40))
	}
	if open := s.stack[len(s.stack)-1]; string(name) != open {
		return 0, xml.StartElement{}, s.syntax("end tag </%s> does not match <%s>", truncate(string(name), 40), open)
	}
	s.stack = s.stack[:len(s.stack)-1]
	s.pos += end + 1
	return mEnd, xml.StartElement{}, nil
}

// closePending ends a self-closing element; it reports whether there was one.
func (s *scanner) closePending() bool {
	if !s.pendingEnd {
		return false
	}
	s.pendingEnd = false
	s.stack = s.stack[:len(s.stack)-1]
	return true
}

// atEOF reports whether the input is exhausted at pos.
func (s *scanner) atEOF() bool { return s.pos == s.end && !s.fill() }
