package graph

import (
	"encoding/json"
	"testing"
)

func TestPropertiesRoundTripKeepsTypes(t *testing.T) {
	t.Parallel()
	in := Properties{
		"int":       int64(3),
		"float":     float64(3),
		"frac":      2.5,
		"bigID":     int64(8765432109876543210),
		"bool":      true,
		"null":      nil,
		"str":       "0012345",
		"arr":       []any{"a", int64(1), 1.5, false},
		"tag.Owner": "team",
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var out Properties
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("unmarshal %s: %v", data, err)
	}
	if !in.Equal(out) {
		t.Fatalf("round trip changed properties:\n in: %#v\nout: %#v\njson: %s", in, out, data)
	}
}

func TestMarshalValueFloatForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want string
	}{
		{float64(3), "3.0"},
		{2.5, "2.5"},
		{1e21, "1e+21"},
		{int64(3), "3"},
		{"x", `"x"`},
		{nil, "null"},
		{[]any{float64(1), int64(1)}, "[1.0,1]"},
		{7, "7"},
		{[]string{"a"}, `["a"]`},
	}
	for _, tt := range tests {
		got, err := MarshalValue(tt.in)
		if err != nil {
			t.Errorf("MarshalValue(%#v): %v", tt.in, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("MarshalValue(%#v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
	}{
		{"map", map[string]any{"a": 1}},
		{"nested array", []any{[]any{"x"}}},
		{"struct", struct{}{}},
		{"huge uint", uint64(1 << 63)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Normalize(tt.in); err == nil {
				t.Fatalf("Normalize(%#v) succeeded, want error", tt.in)
			}
		})
	}
}

func TestValueEqualDistinguishesTypes(t *testing.T) {
	t.Parallel()
	if ValueEqual(int64(1), float64(1)) {
		t.Error("int64 1 equals float64 1")
	}
	if !ValueEqual([]any{"a", int64(2)}, []any{"a", int64(2)}) {
		t.Error("equal arrays differ")
	}
	if ValueEqual([]any{"a"}, []any{"a", "b"}) {
		t.Error("arrays of different length are equal")
	}
}
