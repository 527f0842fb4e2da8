package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// identical reports whether two decoded values are the same in every
// observable way: Go type, float bits (so -0 differs from 0) and nil versus
// empty slices.
func identical(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || (x == nil) != (y == nil) || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !identical(x[i], y[i]) {
				return false
			}
		}
		return true
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	default:
		return a == b
	}
}

// identicalProperties is identical for whole objects, nil maps included.
func identicalProperties(p, q Properties) bool {
	if (p == nil) != (q == nil) || len(p) != len(q) {
		return false
	}
	for k, v := range p {
		w, ok := q[k]
		if !ok || !identical(v, w) {
			return false
		}
	}
	return true
}

// unmarshalValueReference is the encoding/json implementation UnmarshalValue
// had before decodeValue; the tests compare the two.
func unmarshalValueReference(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode value: %w", err)
	}
	return Normalize(v)
}

// unmarshalProperties runs the production Properties.UnmarshalJSON.
func unmarshalProperties(data []byte) (Properties, error) {
	var p Properties
	err := p.UnmarshalJSON(data)
	return p, err
}

// compareWithReference fails t when the decoder and the encoding/json
// reference disagree on data.
func compareWithReference(t *testing.T, data []byte) {
	t.Helper()
	got, err := unmarshalProperties(data)
	want, wantErr := unmarshalPropertiesReference(data)
	if (err != nil) != (wantErr != nil) || !identicalProperties(got, want) {
		t.Fatalf("UnmarshalJSON(%q) = %#v, %v; reference gives %#v, %v", data, got, err, want, wantErr)
	}
	v, err := UnmarshalValue(data)
	wantV, wantErr := unmarshalValueReference(data)
	if (err != nil) != (wantErr != nil) || !identical(v, wantV) {
		t.Fatalf("UnmarshalValue(%q) = %#v, %v; reference gives %#v, %v", data, v, err, wantV, wantErr)
	}
}

// propertiesCases are inputs to Properties.UnmarshalJSON with the result
// expected; wantErr, when set, is a part of the error text (the fast
// decoder's errors name a byte offset).
var propertiesCases = []struct {
	name    string
	in      string
	want    Properties
	wantErr string
}{
	{name: "empty object", in: `{}`, want: Properties{}},
	{name: "empty object in spaces", in: " \t\r\n{ \t\r\n} \t\r\n", want: Properties{}},
	{name: "null", in: `null`, want: Properties{}},
	{name: "null in spaces", in: " \n null \n", want: Properties{}},
	{name: "null then garbage", in: `nullx`, want: Properties{}},
	{name: "whitespace everywhere", in: " \t\n\r{ \t\n\r\"a\" \t\n\r: \t\n\r1 \t\n\r, \"b\"\n:\r[ \t1 ,\n\"x\" \r] } ",
		want: Properties{"a": int64(1), "b": []any{int64(1), "x"}}},
	{name: "trailing data ignored", in: `{"a":1} trailing`, want: Properties{"a": int64(1)}},
	{name: "second value ignored", in: `{"a":1}{"b":2}`, want: Properties{"a": int64(1)}},
	{name: "scalars", in: `{"s":"x","t":true,"f":false,"n":null,"i":7,"x":2.5}`,
		want: Properties{"s": "x", "t": true, "f": false, "n": nil, "i": int64(7), "x": 2.5}},
	{name: "int64 limits", in: `{"max":9223372036854775807,"min":-9223372036854775808}`,
		want: Properties{"max": int64(math.MaxInt64), "min": int64(math.MinInt64)}},
	{name: "beyond int64 becomes float", in: `{"over":9223372036854775808,"under":-9223372036854775809,"big":123456789012345678901234567890}`,
		want: Properties{"over": 9223372036854775808.0, "under": -9223372036854775809.0, "big": 123456789012345678901234567890.0}},
	{name: "18 and 19 digits", in: `{"a":999999999999999999,"b":-999999999999999999,"c":1000000000000000000}`,
		want: Properties{"a": int64(999999999999999999), "b": int64(-999999999999999999), "c": int64(1000000000000000000)}},
	{name: "zeros", in: `{"z":0,"nz":-0,"zf":0.0,"nzf":-0.0,"nze":-0e0}`,
		want: Properties{"z": int64(0), "nz": int64(0), "zf": 0.0, "nzf": math.Copysign(0, -1), "nze": math.Copysign(0, -1)}},
	{name: "float forms", in: `{"a":1e3,"b":1E3,"c":1.0,"d":1e+3,"e":1e-3,"f":1.5E-2,"g":-2.25}`,
		want: Properties{"a": 1000.0, "b": 1000.0, "c": 1.0, "d": 1000.0, "e": 0.001, "f": 0.015, "g": -2.25}},
	{name: "underflow to zero", in: `{"a":1e-400,"b":-1e-400}`, want: Properties{"a": 0.0, "b": math.Copysign(0, -1)}},
	{name: "every escape", in: `{"s":"\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00\u0000"}`,
		want: Properties{"s": "\"\\/\b\f\n\r\tAé€😀\x00"}},
	{name: "escape at start and end", in: `{"\n":"\t"}`, want: Properties{"\n": "\t"}},
	{name: "lone high surrogate", in: `{"s":"a\ud83db"}`, want: Properties{"s": "a\uFFFDb"}},
	{name: "lone low surrogate", in: `{"s":"\ude00"}`, want: Properties{"s": "\uFFFD"}},
	{name: "high surrogate then other escape", in: `{"s":"\ud83d\u0041"}`, want: Properties{"s": "\uFFFDA"}},
	{name: "two high surrogates then low", in: `{"s":"\ud83d\ud83d\ude00"}`, want: Properties{"s": "\uFFFD😀"}},
	{name: "high surrogate at end", in: `{"s":"\ud83d"}`, want: Properties{"s": "\uFFFD"}},
	{name: "high surrogate then short escape", in: `{"s":"\ud83d\n"}`, want: Properties{"s": "\uFFFD\n"}},
	{name: "raw multi-byte UTF-8", in: `{"é":"中文 🙂"}`, want: Properties{"é": "中文 🙂"}},
	{name: "invalid UTF-8 byte", in: "{\"s\":\"a\xffb\"}", want: Properties{"s": "a\uFFFDb"}},
	{name: "truncated UTF-8", in: "{\"s\":\"\xe2\x82\"}", want: Properties{"s": "\uFFFD\uFFFD"}},
	{name: "UTF-8 encoded surrogate", in: "{\"s\":\"\xed\xa0\x80\"}", want: Properties{"s": "\uFFFD\uFFFD\uFFFD"}},
	{name: "invalid UTF-8 with escape", in: "{\"s\":\"\\n\xff\"}", want: Properties{"s": "\n\uFFFD"}},
	{name: "invalid UTF-8 in name", in: "{\"\xff\":1}", want: Properties{"\uFFFD": int64(1)}},
	{name: "U+FFFD kept", in: `{"s":"` + "\uFFFD" + `"}`, want: Properties{"s": "\uFFFD"}},
	{name: "DEL and HTML characters raw", in: "{\"s\":\"\x7f<&>\"}", want: Properties{"s": "\x7f<&>"}},
	{name: "empty name", in: `{"":1}`, want: Properties{"": int64(1)}},
	{name: "duplicate name keeps last", in: `{"a":1,"b":2,"a":"x"}`, want: Properties{"a": "x", "b": int64(2)}},
	{name: "arrays", in: `{"e":[],"m":[null,true,false,-1,1.5,"s"]}`,
		want: Properties{"e": []any{}, "m": []any{nil, true, false, int64(-1), 1.5, "s"}}},
	{name: "long array", in: `{"a":[` + strings.Repeat(`1,`, 40) + `2]}`,
		want: Properties{"a": append(func() []any {
			s := make([]any, 40)
			for i := range s {
				s[i] = int64(1)
			}
			return s
		}(), int64(2))}},
	{name: "object replaced by a later duplicate", in: `{"a":{"b":1},"a":1}`, want: Properties{"a": int64(1)}},
	{name: "nested array replaced by a later duplicate", in: `{"a":[[1]],"a":[1]}`, want: Properties{"a": []any{int64(1)}}},
	{name: "out-of-range number replaced by a later duplicate", in: `{"a":1e400,"a":2}`, want: Properties{"a": int64(2)}},

	{name: "empty input", in: ``, wantErr: "byte offset 0"},
	{name: "only spaces", in: "  \n", wantErr: "byte offset 3"},
	{name: "array", in: `[1]`, wantErr: "expected an object, found '[' at byte offset 0"},
	{name: "string", in: ` "s"`, wantErr: "byte offset 1"},
	{name: "number", in: `1`, wantErr: "byte offset 0"},
	{name: "true", in: `true`, wantErr: "byte offset 0"},
	{name: "BOM", in: "\ufeff{}", wantErr: "byte offset 0"},
	{name: "bad null", in: `nul`, wantErr: "byte offset 3"},
	{name: "open brace", in: `{`, wantErr: "byte offset 1"},
	{name: "name only", in: `{"a"`, wantErr: "byte offset 4"},
	{name: "no value", in: `{"a":`, wantErr: "byte offset 5"},
	{name: "no close", in: `{"a":1`, wantErr: "byte offset 6"},
	{name: "trailing comma", in: `{"a":1,}`, wantErr: "byte offset 7"},
	{name: "leading comma", in: `{,"a":1}`, wantErr: "byte offset 1"},
	{name: "missing colon", in: `{"a" 1}`, wantErr: "byte offset 5"},
	{name: "unquoted name", in: `{a:1}`, wantErr: "byte offset 1"},
	{name: "leading zero", in: `{"a":01}`, wantErr: "byte offset 6"},
	{name: "bare decimal point", in: `{"a":1.}`, wantErr: "byte offset 7"},
	{name: "leading decimal point", in: `{"a":.5}`, wantErr: "byte offset 5"},
	{name: "lone minus", in: `{"a":-}`, wantErr: "byte offset 6"},
	{name: "plus sign", in: `{"a":+1}`, wantErr: "byte offset 5"},
	{name: "empty exponent", in: `{"a":1e}`, wantErr: "byte offset 7"},
	{name: "signed empty exponent", in: `{"a":1e+}`, wantErr: "byte offset 8"},
	{name: "NaN", in: `{"a":NaN}`, wantErr: "byte offset 5"},
	{name: "Infinity", in: `{"a":Infinity}`, wantErr: "byte offset 5"},
	{name: "short true", in: `{"a":tru}`, wantErr: "byte offset 8"},
	{name: "capital True", in: `{"a":True}`, wantErr: "byte offset 5"},
	{name: "short null", in: `{"a":nul`, wantErr: "byte offset 8"},
	{name: "literal then garbage", in: `{"a":truex}`, wantErr: "byte offset 9"},
	{name: "bad escape", in: `{"a":"x\q"}`, wantErr: "byte offset 8"},
	{name: "single-quote escape", in: `{"a":"\'"}`, wantErr: "byte offset 7"},
	{name: "bad hex", in: `{"a":"\u12G4"}`, wantErr: "byte offset 10"},
	{name: "bad hex after high surrogate", in: `{"a":"\ud83d\u12G4"}`, wantErr: "byte offset 16"},
	{name: "short hex at end", in: `{"a":"\u12`, wantErr: "byte offset 10"},
	{name: "raw tab in string", in: "{\"a\":\"x\ty\"}", wantErr: "byte offset 7"},
	{name: "raw newline in name", in: "{\"a\nb\":1}", wantErr: "byte offset 3"},
	{name: "unterminated string", in: `{"a":"abc`, wantErr: "byte offset 9"},
	{name: "unterminated escaped string", in: `{"a":"a\"`, wantErr: "byte offset 9"},
	{name: "backslash at end", in: `{"a":"a\`, wantErr: "byte offset 8"},
	{name: "array trailing comma", in: `{"a":[1,]}`, wantErr: "byte offset 8"},
	{name: "array missing comma", in: `{"a":[1 2]}`, wantErr: "byte offset 8"},
	{name: "array unclosed", in: `{"a":[1`, wantErr: "byte offset 7"},
	{name: "nested object", in: `{"a":{"b":1}}`, wantErr: `property "a"`},
	{name: "nested array", in: `{"a":[[1]]}`, wantErr: `property "a"`},
	{name: "object in array", in: `{"a":[{}]}`, wantErr: `property "a"`},
	{name: "number beyond float64", in: `{"a":1e400}`, wantErr: `property "a"`},
	{name: "nested value kept by a later duplicate", in: `{"a":1,"a":{}}`, wantErr: `property "a"`},
	{name: "syntax error after a nested value", in: `{"a":{},"a":1`, wantErr: "unexpected EOF"},
}

func TestUnmarshalJSONCases(t *testing.T) {
	t.Parallel()
	for _, tt := range propertiesCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := unmarshalProperties([]byte(tt.in))
			switch {
			case tt.wantErr != "" && err == nil:
				t.Fatalf("UnmarshalJSON(%q) = %#v, want an error with %q", tt.in, got, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("UnmarshalJSON(%q) error %q does not contain %q", tt.in, err, tt.wantErr)
			case tt.wantErr == "" && err != nil:
				t.Fatalf("UnmarshalJSON(%q): %v", tt.in, err)
			case tt.wantErr == "" && !identicalProperties(got, tt.want):
				t.Fatalf("UnmarshalJSON(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			compareWithReference(t, []byte(tt.in))
		})
	}
}

func TestUnmarshalJSONKeepsReceiverOnError(t *testing.T) {
	t.Parallel()
	tests := []string{`{"a":`, `{"a":{}}`, `[]`}
	for _, in := range tests {
		p := Properties{"keep": "me"}
		if err := p.UnmarshalJSON([]byte(in)); err == nil {
			t.Fatalf("UnmarshalJSON(%q) succeeded", in)
		}
		if !identicalProperties(p, Properties{"keep": "me"}) {
			t.Fatalf("UnmarshalJSON(%q) changed the receiver to %#v", in, p)
		}
	}
}

func TestUnmarshalJSONCopiesInput(t *testing.T) {
	t.Parallel()
	data := []byte(`{"name":"abc","n\u0041me":"d\u0065f"}`)
	p, err := unmarshalProperties(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'x'
	}
	if !identicalProperties(p, Properties{"name": "abc", "nAme": "def"}) {
		t.Fatalf("decoded properties follow changes to the input: %#v", p)
	}
}

// valueCases are inputs to UnmarshalValue with the result expected.
var valueCases = []struct {
	name    string
	in      string
	want    any
	wantErr string
}{
	{name: "string", in: `"s\u00e9\n"`, want: "sé\n"},
	{name: "int", in: ` 42 `, want: int64(42)},
	{name: "negative zero int", in: `-0`, want: int64(0)},
	{name: "negative zero float", in: `-0.0`, want: math.Copysign(0, -1)},
	{name: "one point zero", in: `1.0`, want: 1.0},
	{name: "exponent", in: `1e3`, want: 1000.0},
	{name: "int64 max", in: `9223372036854775807`, want: int64(math.MaxInt64)},
	{name: "beyond int64", in: `9223372036854775808`, want: 9223372036854775808.0},
	{name: "true", in: `true`, want: true},
	{name: "false", in: "\tfalse", want: false},
	{name: "null", in: `null`, want: nil},
	{name: "empty array", in: `[]`, want: []any{}},
	{name: "array", in: "[ 1 ,\"a\",null,\n2.5 ]", want: []any{int64(1), "a", nil, 2.5}},
	{name: "number then garbage", in: `12abc`, want: int64(12)},
	{name: "leading zero stops the number", in: `01`, want: int64(0)},
	{name: "second decimal point stops the number", in: `1.5.3`, want: 1.5},
	{name: "string then garbage", in: `"a"x`, want: "a"},
	{name: "literal then garbage", in: `truex`, want: true},
	{name: "array then garbage", in: `[1]x`, want: []any{int64(1)}},

	{name: "empty", in: ``, wantErr: "byte offset 0"},
	{name: "spaces", in: `  `, wantErr: "byte offset 2"},
	{name: "empty object", in: `{}`, wantErr: "cannot be an object at byte offset 0"},
	{name: "object", in: ` {"a":1}`, wantErr: "byte offset 1"},
	{name: "nested array", in: `[1,[2]]`, wantErr: "nested arrays are not allowed at byte offset 3"},
	{name: "object in array", in: `[{}]`, wantErr: "byte offset 1"},
	{name: "out of range", in: `-1e400`, wantErr: "out of range at byte offset 0"},
	{name: "out of range in array", in: `[1,1e999]`, wantErr: "byte offset 3"},
	{name: "lone minus", in: `-`, wantErr: "byte offset 1"},
	{name: "bare decimal point", in: `1.`, wantErr: "byte offset 2"},
	{name: "bare decimal point then garbage", in: `1.x`, wantErr: "byte offset 2"},
	{name: "empty exponent", in: `1e`, wantErr: "byte offset 2"},
	{name: "short literal", in: `tru`, wantErr: "byte offset 3"},
	{name: "unterminated string", in: `"abc`, wantErr: "byte offset 4"},
	{name: "unclosed array", in: `[1,`, wantErr: "byte offset 3"},
	{name: "garbage", in: `x`, wantErr: "invalid character 'x' looking for a value at byte offset 0"},
}

func TestUnmarshalValueCases(t *testing.T) {
	t.Parallel()
	for _, tt := range valueCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := UnmarshalValue([]byte(tt.in))
			switch {
			case tt.wantErr != "" && err == nil:
				t.Fatalf("UnmarshalValue(%q) = %#v, want an error with %q", tt.in, got, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("UnmarshalValue(%q) error %q does not contain %q", tt.in, err, tt.wantErr)
			case tt.wantErr == "" && err != nil:
				t.Fatalf("UnmarshalValue(%q): %v", tt.in, err)
			case tt.wantErr == "" && !identical(got, tt.want):
				t.Fatalf("UnmarshalValue(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			compareWithReference(t, []byte(tt.in))
		})
	}
}

// randomJSONPiece returns a fragment of property JSON: a name, a value,
// punctuation or whitespace, with the awkward cases over-represented.
func randomJSONPiece(r *rand.Rand) string {
	pieces := []string{
		`"a"`, `"b"`, `"\u0041"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00x"`, `"\ud83d\u0041"`, "\"\xff\"",
		"\"\xe2\x82\"", `"\n\t\"\\\/"`, `""`, `"é"`, `"\u12G4"`, `"\q"`, "\"a\tb\"",
		`0`, `-0`, `-0.0`, `1`, `-1`, `01`, `1.`, `.5`, `1e3`, `1E-3`, `1e+`, `1.5`, `9223372036854775807`,
		`9223372036854775808`, `-9223372036854775808`, `-9223372036854775809`, `1e400`, `1e-400`,
		`123456789012345678901234567890`, `999999999999999999`, `-`, `+1`,
		`true`, `false`, `null`, `tru`, `nul`, `True`,
		`{`, `}`, `[`, `]`, `:`, `,`, ` `, "\n", "\t", "\r", `x`, "\x00",
	}
	return pieces[r.IntN(len(pieces))]
}

// randomPropertiesJSON returns a well-formed property object (sometimes with
// a nested value or a repeated name) for mutation.
func randomPropertiesJSON(r *rand.Rand) string {
	var b strings.Builder
	ws := func() {
		if r.IntN(3) == 0 {
			b.WriteString([]string{" ", "\n", "\t", "\r", "  "}[r.IntN(5)])
		}
	}
	scalars := []string{`"v"`, `"\u00e9\n"`, "\"\xff\"", `1`, `-0`, `2.5`, `1e3`, `9223372036854775808`, `true`, `false`, `null`, `1e400`}
	ws()
	b.WriteByte('{')
	for i := range r.IntN(6) {
		if i > 0 {
			b.WriteByte(',')
		}
		ws()
		b.WriteString([]string{`"a"`, `"b"`, `"c"`, `"\u0061"`}[r.IntN(4)])
		ws()
		b.WriteByte(':')
		ws()
		switch r.IntN(6) {
		case 0:
			b.WriteByte('[')
			for j := range r.IntN(4) {
				if j > 0 {
					b.WriteByte(',')
				}
				ws()
				b.WriteString(scalars[r.IntN(len(scalars))])
				ws()
			}
			b.WriteByte(']')
		case 1:
			b.WriteString([]string{`{}`, `{"x":1}`, `[[1]]`, `[{}]`}[r.IntN(4)])
		default:
			b.WriteString(scalars[r.IntN(len(scalars))])
		}
		ws()
	}
	b.WriteByte('}')
	ws()
	return b.String()
}

func TestDecoderMatchesReferenceOnRandomInputs(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		var in string
		switch r.IntN(3) {
		case 0:
			in = randomPropertiesJSON(r)
		case 1:
			// A valid object with one fragment inserted, replaced or removed.
			s := randomPropertiesJSON(r)
			i := r.IntN(len(s) + 1)
			switch r.IntN(3) {
			case 0:
				in = s[:i] + randomJSONPiece(r) + s[i:]
			case 1:
				in = s[:i] + randomJSONPiece(r) + s[min(len(s), i+1+r.IntN(3)):]
			default:
				in = s[:i] + s[min(len(s), i+1):]
			}
		default:
			var b strings.Builder
			for range 1 + r.IntN(8) {
				b.WriteString(randomJSONPiece(r))
			}
			in = b.String()
		}
		compareWithReference(t, []byte(in))
	}
}

func FuzzPropertiesUnmarshal(f *testing.F) {
	for _, tt := range propertiesCases {
		f.Add([]byte(tt.in))
	}
	for _, tt := range valueCases {
		f.Add([]byte(tt.in))
	}
	f.Add(mustMarshal(f, benchProperties()))
	f.Fuzz(func(t *testing.T, data []byte) {
		compareWithReference(t, data)
	})
}

func mustMarshal(tb testing.TB, p Properties) []byte {
	tb.Helper()
	data, err := p.MarshalJSON()
	if err != nil {
		tb.Fatalf("MarshalJSON: %v", err)
	}
	return data
}

// benchProperties is a finding's properties as the stores hold them, about
// 400 bytes of JSON; the results text has the tab and newline layout of the
// scanner's output, so it takes the escape path.
func benchProperties() Properties {
	return Properties{
		"name": "QID 38003", "displayName": "QID 38003 on host 100042",
		"category": "vulnerability", "severity": "high", "numericSeverity": int64(4), "open": true,
		"qid": int64(38003), "hostId": int64(100042), "port": int64(443), "protocol": "tcp",
		"ssl": true, "status": "base", "firstFoundOn": int64(1700000000423), "cvss": 7.5,
		"results": "TLSv1.0 is enabled on this host.\nPROTOCOL\tSTATUS\nTLSv1.0\tENABLED\nTLSv1.1\tENABLED\nTLSv1.2\tENABLED",
	}
}

func BenchmarkPropertiesUnmarshal(b *testing.B) {
	data := mustMarshal(b, benchProperties())
	decoders := []struct {
		name   string
		decode func([]byte) (Properties, error)
	}{
		{"reference", unmarshalPropertiesReference},
		{"decoder", unmarshalProperties},
	}
	for _, dec := range decoders {
		b.Run(fmt.Sprintf("%s/%dB", dec.name, len(data)), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := dec.decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
