package graph

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"testing"
)

// sampleStrings are inputs chosen to hit every branch of the hand-written
// checks and of the string encoder.
var sampleStrings = []string{
	"", "_", "a", "_a", "tag.", "tag.Owner", "tag", "__a", "a_b", "name", "display Name", "x.y-z",
	"-", ".", " ", "A1", "1A", "Zz_9", "aZ", "a:b", "a/b", "é", "a\x00b", "tab\there", "nl\n",
	"quote\"", `back\slash`, "<b>&amp;</b>", "\b\f\r\x1f\x7f", "line\u2028sep\u2029", "bad\xffutf8",
	"\xe2\x80", "emoji 🙂", "中文", "qualys_host_finding", "cve", "HAS", "Finding", "finding",
}

// randomString returns a short string over a mix of ASCII, control bytes,
// multi-byte runes and invalid UTF-8.
func randomString(r *rand.Rand) string {
	const pool = "aZ09_.:- /<>&\"\\\t\n\x00\x1f\x7f"
	extra := []string{"é", "🙂", "\u2028", "\u2029", "\xff", "\xe2\x80", "tag.", "_"}
	var b []byte
	for n := r.IntN(8); n >= 0; n-- {
		if r.IntN(4) == 0 {
			b = append(b, extra[r.IntN(len(extra))]...)
		} else {
			b = append(b, pool[r.IntN(len(pool))])
		}
	}
	return string(b)
}

func TestHandWrittenChecksMatchPatterns(t *testing.T) {
	t.Parallel()
	checks := []struct {
		name    string
		pattern string
		fn      func(string) bool
	}{
		{"property name", propertyNamePattern, validPropertyName},
		{"type", `^[a-z][A-Za-z0-9_:.-]*$`, validType},
		{"class", `^[A-Z][A-Za-z0-9_]*$`, validClass},
	}
	r := rand.New(rand.NewPCG(1, 2))
	inputs := append([]string(nil), sampleStrings...)
	for range 20000 {
		inputs = append(inputs, randomString(r))
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			re := regexp.MustCompile(c.pattern)
			for _, s := range inputs {
				if got, want := c.fn(s), re.MatchString(s); got != want {
					t.Fatalf("%q: hand-written check says %v, %s says %v", s, got, c.pattern, want)
				}
			}
		})
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	inputs := append([]string(nil), sampleStrings...)
	for range 20000 {
		inputs = append(inputs, randomString(r))
	}
	for _, s := range inputs {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("json.Marshal(%q): %v", s, err)
		}
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestMarshalJSONSortsAndEscapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Properties
		want string
	}{
		{"empty", Properties{}, `{}`},
		{"nil", nil, `{}`},
		{"sorted", Properties{"b": int64(1), "a": "x", "C": true}, `{"C":true,"a":"x","b":1}`},
		{"escaped", Properties{"a<b": "x&y", "n": nil}, `{"a\u003cb":"x\u0026y","n":null}`},
		{"float and array", Properties{"f": 2.0, "arr": []any{"q", int64(2), 0.5}}, `{"arr":["q",2,0.5],"f":2.0}`},
		{"wide ints", Properties{"i": 7, "u": uint32(8)}, `{"i":7,"u":8}`},
	}
	// More names than MarshalJSON's stack array: checked by a round trip.
	many := Properties{}
	for i := range 40 {
		many[string(rune('a'+i/26))+string(rune('a'+i%26))] = int64(i)
	}
	tests = append(tests, struct {
		name string
		in   Properties
		want string
	}{"more names than the stack array", many, ""})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.MarshalJSON()
			if err != nil {
				t.Fatalf("MarshalJSON: %v", err)
			}
			if tt.want == "" {
				var back Properties
				if err := back.UnmarshalJSON(got); err != nil || !back.Equal(tt.in) {
					t.Fatalf("round trip of %s: %v, %v", got, back, err)
				}
				return
			}
			if string(got) != tt.want {
				t.Fatalf("MarshalJSON = %s, want %s", got, tt.want)
			}
		})
	}
}
