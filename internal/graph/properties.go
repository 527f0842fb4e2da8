package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Properties holds the non-reserved properties of an object (everything but
// _key, _type and _class). Values are string, int64, float64, bool, nil, or
// []any whose elements are of those scalar types.
type Properties map[string]any

// Clone returns a shallow copy of p with copied slices.
func (p Properties) Clone() Properties {
	out := make(Properties, len(p))
	for k, v := range p {
		if s, ok := v.([]any); ok {
			v = append([]any(nil), s...)
		}
		out[k] = v
	}
	return out
}

// Equal reports whether p and q hold the same names with equal values of the
// same types. An int64 1 and a float64 1 differ.
func (p Properties) Equal(q Properties) bool {
	if len(p) != len(q) {
		return false
	}
	for k, v := range p {
		w, ok := q[k]
		if !ok || !ValueEqual(v, w) {
			return false
		}
	}
	return true
}

// ValueEqual reports whether two property values are equal and of the same type.
func ValueEqual(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !ValueEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || (math.IsNaN(x) && math.IsNaN(y)))
	default:
		return a == b
	}
}

// Names returns the property names in sorted order.
func (p Properties) Names() []string {
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Normalize converts v to one of the property value types: ints of every
// width become int64, float32 becomes float64, []string and other slices
// become []any. It returns an error for any other type.
func Normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, int64, float64, bool:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("integer %d overflows int64", x)
		}
		return int64(x), nil
	case float32:
		return float64(x), nil
	case json.Number:
		return numberValue(string(x))
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	case []int64:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := Normalize(e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			if _, nested := n.([]any); nested {
				return nil, fmt.Errorf("element %d: nested arrays are not allowed", i)
			}
			out[i] = n
		}
		return out, nil
	default:
		return nil, fmt.Errorf("unsupported property value type %T", v)
	}
}

// numberValue types a JSON number: no '.', 'e' or 'E' means int64.
func numberValue(s string) (any, error) {
	if !strings.ContainsAny(s, ".eE") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("bad number %q: %w", s, err)
	}
	return f, nil
}

// MarshalJSON encodes p with sorted keys; float64 values always carry a
// decimal point or an exponent so they decode as floats again. Strings are
// escaped exactly as encoding/json escapes them.
func (p Properties) MarshalJSON() ([]byte, error) {
	return p.AppendJSON(make([]byte, 0, 32*len(p)+2))
}

// AppendJSON appends the MarshalJSON encoding of p to dst.
func (p Properties) AppendJSON(dst []byte) ([]byte, error) {
	var small [32]string
	names := small[:0]
	for k := range p {
		names = append(names, k)
	}
	slices.Sort(names)
	dst = append(dst, '{')
	for i, k := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		var err error
		if dst, err = appendValue(dst, p[k]); err != nil {
			return nil, fmt.Errorf("property %q: %w", k, err)
		}
	}
	return append(dst, '}'), nil
}

// MarshalValue encodes a single property value as JSON with the float rule
// of Properties.MarshalJSON.
func MarshalValue(v any) ([]byte, error) {
	return appendValue(nil, v)
}

func appendValue(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		dst = append(dst, "null"...)
	case bool:
		dst = strconv.AppendBool(dst, x)
	case int64:
		dst = strconv.AppendInt(dst, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return dst, fmt.Errorf("float %v cannot be stored", x)
		}
		start := len(dst)
		dst = strconv.AppendFloat(dst, x, 'g', -1, 64)
		if !bytes.ContainsAny(dst[start:], ".eE") {
			dst = append(dst, ".0"...)
		}
	case string:
		dst = appendJSONString(dst, x)
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendValue(dst, e); err != nil {
				return dst, err
			}
		}
		dst = append(dst, ']')
	default:
		n, err := Normalize(v)
		if err != nil {
			return dst, err
		}
		return appendValue(dst, n)
	}
	return dst, nil
}

// hexDigits are the digits of \u escapes, lower-case as encoding/json
// writes them.
const hexDigits = "0123456789abcdef"

// AppendJSONString appends s to dst as a JSON string, escaped as
// encoding/json escapes it, so that text built with it is canonical.
func AppendJSONString(dst []byte, s string) []byte { return appendJSONString(dst, s) }

// appendJSONString appends s as a JSON string with the escapes of
// encoding/json's default (HTML-safe) mode: '"' and '\\' with a
// backslash, \b \f \n \r \t by name, other control bytes and '<', '>',
// '&' as \u00XX, U+2028 and U+2029 as \u2028 and \u2029, and each byte of
// invalid UTF-8 as \ufffd.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// UnmarshalJSON decodes a JSON object, typing numbers as int64 or float64 by
// their written form. Only the first JSON value of data is read, and null
// decodes to empty Properties. A name given twice keeps its last value.
func (p *Properties) UnmarshalJSON(data []byte) error {
	out, err := decodeProperties(data)
	if errors.As(err, new(referenceNeeded)) {
		out, err = unmarshalPropertiesReference(data)
	} else if err != nil {
		err = fmt.Errorf("decode properties: %w", err)
	}
	if err != nil {
		return err
	}
	*p = out
	return nil
}

// UnmarshalValue decodes one JSON value with the typing rules of
// Properties.UnmarshalJSON.
func UnmarshalValue(data []byte) (any, error) {
	v, err := decodeValue(data)
	if err != nil {
		return nil, fmt.Errorf("decode value: %w", err)
	}
	return v, nil
}

// unmarshalPropertiesReference is the encoding/json implementation of
// Properties.UnmarshalJSON. The decoder in decode.go gives the same results;
// it hands over the rare inputs whose outcome depends on encoding/json's
// order of work, and the tests compare the two.
func unmarshalPropertiesReference(data []byte) (Properties, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode properties: %w", err)
	}
	out := make(Properties, len(raw))
	for k, v := range raw {
		n, err := Normalize(v)
		if err != nil {
			return nil, fmt.Errorf("property %q: %w", k, err)
		}
		out[k] = n
	}
	return out, nil
}
