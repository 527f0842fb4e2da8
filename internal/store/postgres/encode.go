package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/qgraph/qgraph/internal/graph"
)

// encodeProps writes p as a JSON object for a jsonb column: keys sorted,
// floats always with a decimal point and never with an exponent (jsonb
// keeps the scale of "1000000.0" but turns "1e+06" into the integer
// 1000000), strings free of NUL characters (jsonb refuses them).
func encodeProps(p graph.Properties) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(32 + 48*len(p))
	buf.WriteByte('{')
	for i, k := range p.Names() {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := appendString(&buf, k); err != nil {
			return nil, fmt.Errorf("property name %q: %w", k, err)
		}
		buf.WriteByte(':')
		if err := appendValue(&buf, p[k]); err != nil {
			return nil, fmt.Errorf("property %q: %w", k, err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// encodeValue writes one property value with the rules of encodeProps.
func encodeValue(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := appendValue(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func appendValue(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case int64:
		buf.WriteString(strconv.FormatInt(x, 10))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("float %v cannot be stored", x)
		}
		s := strconv.FormatFloat(x, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		buf.WriteString(s)
	case string:
		return appendString(buf, x)
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := appendValue(buf, e); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		buf.WriteByte(']')
	default:
		n, err := graph.Normalize(v)
		if err != nil {
			return err
		}
		return appendValue(buf, n)
	}
	return nil
}

func appendString(buf *bytes.Buffer, s string) error {
	if err := checkText(s); err != nil {
		return err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	buf.Write(b)
	return nil
}

// checkText refuses strings PostgreSQL cannot store in TEXT or jsonb.
func checkText(s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("contains a NUL character, which PostgreSQL cannot store")
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("is not valid UTF-8")
	}
	return nil
}

// encodeStrings writes a JSON array of strings.
func encodeStrings(ss []string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, s := range ss {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := appendString(&buf, s); err != nil {
			return nil, err
		}
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

// objectHash fingerprints the parts of an object whose change makes a new
// version. Parts are length-prefixed so that no two part lists collide by
// concatenation.
func objectHash(parts ...[]byte) int64 {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	var sum [sha256.Size]byte
	return int64(binary.LittleEndian.Uint64(h.Sum(sum[:0])))
}

// decodeProps reads a stored jsonb object with graph typing rules: numbers
// without '.', 'e' or 'E' are int64, exactly, whatever their size.
func decodeProps(raw []byte) (graph.Properties, error) {
	if raw == nil {
		return nil, nil
	}
	var p graph.Properties
	if err := p.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	return p, nil
}

// decodeStrings reads a stored jsonb array of strings.
func decodeStrings(raw []byte) ([]string, error) {
	var ss []string
	if err := json.Unmarshal(raw, &ss); err != nil {
		return nil, fmt.Errorf("decode string list: %w", err)
	}
	return ss, nil
}

// decodeJSON reads any JSON value with graph typing rules for numbers;
// objects become map[string]any and arrays []any, recursively.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode JSON value: %w", err)
	}
	return typeJSON(v)
}

func typeJSON(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		return graph.Normalize(x)
	case []any:
		for i, e := range x {
			t, err := typeJSON(e)
			if err != nil {
				return nil, err
			}
			x[i] = t
		}
		return x, nil
	case map[string]any:
		for k, e := range x {
			t, err := typeJSON(e)
			if err != nil {
				return nil, err
			}
			x[k] = t
		}
		return x, nil
	default:
		return x, nil
	}
}

// registerTypes makes the connection decode json and jsonb values into
// `any` with decodeJSON, so that Query never rounds a big integer through
// float64.
func registerTypes(_ context.Context, conn *pgx.Conn) error {
	unmarshal := func(data []byte, v any) error {
		if p, ok := v.(*any); ok {
			val, err := decodeJSON(data)
			if err != nil {
				return err
			}
			*p = val
			return nil
		}
		return json.Unmarshal(data, v)
	}
	tm := conn.TypeMap()
	tm.RegisterType(&pgtype.Type{Name: "jsonb", OID: pgtype.JSONBOID, Codec: &pgtype.JSONBCodec{Marshal: json.Marshal, Unmarshal: unmarshal}})
	tm.RegisterType(&pgtype.Type{Name: "json", OID: pgtype.JSONOID, Codec: &pgtype.JSONCodec{Marshal: json.Marshal, Unmarshal: unmarshal}})
	return nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
