package graph

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the decoder behind Properties.UnmarshalJSON and
// UnmarshalValue. It reads only the shapes property values take (strings,
// numbers, booleans, null and flat arrays of those) and gives exactly the
// results of the encoding/json path kept in unmarshalPropertiesReference and
// unmarshalValueReference:
//
//   - Only the first JSON value of the input is read; whatever follows it is
//     ignored, as json.Decoder.Decode ignores it.
//   - A null input decodes to empty Properties.
//   - Numbers without '.', 'e' or 'E' that fit become int64, all others
//     float64 (numberValue's rule); a number beyond float64's range is an
//     error.
//   - Strings take every JSON escape; a lone or unpaired UTF-16 surrogate
//     and each byte of invalid UTF-8 become U+FFFD.
//   - A repeated name keeps its last value.
//
// encoding/json decodes a whole object before its values are checked, so a
// nested object, a nested array or an out-of-range number under a name that
// is repeated later is replaced without error. Such inputs are rare; the
// object decoder hands them to the reference path instead of reproducing that
// order.
//
// Strings without escapes or invalid UTF-8 are slices of a single string copy
// of the input, so a decoded object costs one allocation for all its names
// and plain string values. That copy stays alive as long as any of them does.

// decodeError is a decoding error at a byte offset of the input.
type decodeError struct {
	offset int
	msg    string
}

func (e *decodeError) Error() string {
	return fmt.Sprintf("%s at byte offset %d", e.msg, e.offset)
}

// referenceNeeded stops the object decoder on a value whose outcome depends
// on the rest of the object (see the comment at the top of this file).
type referenceNeeded struct{}

func (referenceNeeded) Error() string { return "value needs the reference decoder" }

// propDecoder reads one JSON value from data.
type propDecoder struct {
	data []byte
	text string // data as a string; unescaped strings are slices of it
	pos  int
	// object is true while decoding Properties: values that are invalid as
	// property values stop the decoder with referenceNeeded instead of an
	// error, as a later duplicate name may replace them.
	object bool
}

// propPair is one name and value of an object, in input order.
type propPair struct {
	name  string
	value any
}

// decodeProperties decodes a JSON object of property values. It returns
// referenceNeeded for inputs it leaves to unmarshalPropertiesReference.
func decodeProperties(data []byte) (Properties, error) {
	d := propDecoder{data: data, text: string(data), object: true}
	d.skipSpace()
	if d.pos == len(d.data) {
		return nil, d.errorAt(d.pos, "unexpected end of input, expected an object")
	}
	switch c := d.data[d.pos]; c {
	case '{':
	case 'n':
		if err := d.literal("null"); err != nil {
			return nil, err
		}
		return Properties{}, nil
	default:
		return nil, d.errorAt(d.pos, "expected an object, found "+describeByte(c))
	}
	d.pos++
	var buf [32]propPair
	pairs := buf[:0]
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		return Properties{}, nil
	}
	for {
		d.skipSpace()
		if d.pos == len(d.data) {
			return nil, d.errorAt(d.pos, "unexpected end of input, expected a property name")
		}
		if c := d.data[d.pos]; c != '"' {
			return nil, d.errorAt(d.pos, "expected a property name, found "+describeByte(c))
		}
		name, err := d.stringLiteral()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if err := d.expect(':', "':' after property name"); err != nil {
			return nil, err
		}
		d.skipSpace()
		v, err := d.value(true)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, propPair{name, v})
		d.skipSpace()
		if d.pos == len(d.data) {
			return nil, d.errorAt(d.pos, "unexpected end of input, expected ',' or '}'")
		}
		switch c := d.data[d.pos]; c {
		case ',':
			d.pos++
		case '}':
			out := make(Properties, len(pairs))
			for _, p := range pairs {
				out[p.name] = p.value
			}
			return out, nil
		default:
			return nil, d.errorAt(d.pos, "expected ',' or '}' after property value, found "+describeByte(c))
		}
	}
}

// decodeValue decodes one property value: a scalar or an array of scalars.
func decodeValue(data []byte) (any, error) {
	d := propDecoder{data: data, text: string(data)}
	d.skipSpace()
	return d.value(true)
}

func (d *propDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *propDecoder) errorAt(offset int, msg string) error {
	return &decodeError{offset: offset, msg: msg}
}

// invalid reports a value that is well-formed JSON but no property value.
func (d *propDecoder) invalid(offset int, msg string) error {
	if d.object {
		return referenceNeeded{}
	}
	return d.errorAt(offset, msg)
}

// expect consumes byte c or fails naming what was expected.
func (d *propDecoder) expect(c byte, what string) error {
	if d.pos == len(d.data) {
		return d.errorAt(d.pos, "unexpected end of input, expected "+what)
	}
	if got := d.data[d.pos]; got != c {
		return d.errorAt(d.pos, "expected "+what+", found "+describeByte(got))
	}
	d.pos++
	return nil
}

// describeByte names c for an error message.
func describeByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// value decodes the value at d.pos; arrays are allowed when allowArray is
// set (they are not inside arrays).
func (d *propDecoder) value(allowArray bool) (any, error) {
	if d.pos == len(d.data) {
		return nil, d.errorAt(d.pos, "unexpected end of input, expected a value")
	}
	switch c := d.data[d.pos]; c {
	case '"':
		s, err := d.stringLiteral()
		if err != nil {
			return nil, err
		}
		return s, nil
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	case '[':
		if !allowArray {
			return nil, d.invalid(d.pos, "nested arrays are not allowed")
		}
		return d.array()
	case '{':
		if allowArray {
			return nil, d.invalid(d.pos, "a property value cannot be an object")
		}
		return nil, d.invalid(d.pos, "objects are not allowed in arrays")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return d.number()
		}
		return nil, d.errorAt(d.pos, "invalid character "+describeByte(c)+" looking for a value")
	}
}

// literal consumes the keyword word (true, false or null).
func (d *propDecoder) literal(word string) error {
	for i := 0; i < len(word); i++ {
		p := d.pos + i
		if p == len(d.data) {
			return d.errorAt(p, "unexpected end of input in literal "+word)
		}
		if c := d.data[p]; c != word[i] {
			return d.errorAt(p, "invalid character "+describeByte(c)+" in literal "+word)
		}
	}
	d.pos += len(word)
	return nil
}

// array decodes an array of scalars; d.pos is at its '['.
func (d *propDecoder) array() (any, error) {
	d.pos++
	var buf [16]any
	elems := buf[:0]
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return []any{}, nil
	}
	for {
		d.skipSpace()
		v, err := d.value(false)
		if err != nil {
			return nil, err
		}
		elems = append(elems, v)
		d.skipSpace()
		if d.pos == len(d.data) {
			return nil, d.errorAt(d.pos, "unexpected end of input, expected ',' or ']'")
		}
		switch c := d.data[d.pos]; c {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return append([]any(nil), elems...), nil
		default:
			return nil, d.errorAt(d.pos, "expected ',' or ']' after array element, found "+describeByte(c))
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number decodes a JSON number at d.pos. It stops where the JSON grammar
// ends the number; what follows is for the caller to check.
func (d *propDecoder) number() (any, error) {
	data := d.data
	start := d.pos
	i := start
	neg := data[i] == '-'
	if neg {
		i++
	}
	if i == len(data) {
		return nil, d.errorAt(i, "unexpected end of input in number")
	}
	var mag uint64
	digits := 0
	switch c := data[i]; {
	case c == '0':
		i++
		digits = 1
	case c >= '1' && c <= '9':
		for ; i < len(data) && isDigit(data[i]); i++ {
			mag = mag*10 + uint64(data[i]-'0')
			digits++
		}
	default:
		return nil, d.errorAt(i, "invalid character "+describeByte(c)+" in number")
	}
	isInt := true
	if i < len(data) && data[i] == '.' {
		isInt = false
		i++
		if i == len(data) {
			return nil, d.errorAt(i, "unexpected end of input after decimal point")
		}
		if !isDigit(data[i]) {
			return nil, d.errorAt(i, "invalid character "+describeByte(data[i])+" after decimal point")
		}
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		isInt = false
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i == len(data) {
			return nil, d.errorAt(i, "unexpected end of input in exponent")
		}
		if !isDigit(data[i]) {
			return nil, d.errorAt(i, "invalid character "+describeByte(data[i])+" in exponent")
		}
		for i < len(data) && isDigit(data[i]) {
			i++
		}
	}
	d.pos = i
	if isInt && digits <= 18 {
		// At most 18 digits cannot overflow int64.
		n := int64(mag)
		if neg {
			n = -n
		}
		return n, nil
	}
	lit := d.text[start:i]
	if isInt {
		if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return nil, d.invalid(start, "number "+lit+" is out of range")
	}
	return f, nil
}

// stringLiteral decodes the string at d.pos (its opening quote).
func (d *propDecoder) stringLiteral() (string, error) {
	data := d.data
	start := d.pos + 1
	for i := start; i < len(data); {
		c := data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return d.text[start:i], nil
		case c == '\\' || c < 0x20:
			return d.unescape(start, i)
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return d.unescape(start, i)
			}
			i += size
		}
	}
	return "", d.errorAt(len(data), "unexpected end of input in string")
}

// unescape decodes a string from its content start, copying the plain
// prefix up to i and decoding escapes and invalid UTF-8 from there.
func (d *propDecoder) unescape(start, i int) (string, error) {
	data := d.data
	end := i
	for end < len(data) && data[end] != '"' {
		if data[end] == '\\' {
			end++
		}
		end++
	}
	var b strings.Builder
	b.Grow(min(end, len(data)) - start)
	b.WriteString(d.text[start:i])
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return b.String(), nil
		case c < 0x20:
			return "", d.errorAt(i, "invalid character "+describeByte(c)+" in string")
		case c == '\\':
			if i+1 == len(data) {
				return "", d.errorAt(i+1, "unexpected end of input in string escape")
			}
			switch e := data[i+1]; e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, err := d.hex4(i + 2)
				if err != nil {
					return "", err
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// A surrogate pair is two \u escapes; anything else
					// leaves the first one as U+FFFD.
					if r2, ok := d.peekEscapeU(i); ok {
						if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
							b.WriteRune(pair)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				b.WriteRune(r)
				continue
			default:
				return "", d.errorAt(i+1, "invalid escape character "+describeByte(e)+" in string")
			}
			i += 2
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteRune(utf8.RuneError)
			} else {
				b.Write(data[i : i+size])
			}
			i += size
		}
	}
	return "", d.errorAt(len(data), "unexpected end of input in string")
}

// hex4 decodes the four hex digits of a \u escape starting at offset i.
func (d *propDecoder) hex4(i int) (rune, error) {
	var r rune
	for j := i; j < i+4; j++ {
		if j == len(d.data) {
			return 0, d.errorAt(j, "unexpected end of input in \\u escape")
		}
		n, ok := hexValue(d.data[j])
		if !ok {
			return 0, d.errorAt(j, "invalid character "+describeByte(d.data[j])+" in \\u escape")
		}
		r = r<<4 | n
	}
	return r, nil
}

// peekEscapeU decodes a complete \uXXXX escape at offset i without
// consuming it or failing.
func (d *propDecoder) peekEscapeU(i int) (rune, bool) {
	if i+6 > len(d.data) || d.data[i] != '\\' || d.data[i+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range d.data[i+2 : i+6] {
		n, ok := hexValue(c)
		if !ok {
			return 0, false
		}
		r = r<<4 | n
	}
	return r, true
}

func hexValue(c byte) (rune, bool) {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0'), true
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10), true
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10), true
	}
	return 0, false
}
