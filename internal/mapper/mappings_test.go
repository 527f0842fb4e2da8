package mapper

import "testing"

func TestOwnedBy(t *testing.T) {
	tests := []struct {
		relKey, mappingKey string
		want               bool
	}{
		{"f1|has|h1", "f1|has|h1", true},
		{"f1|has|h1||mapper|h1", "f1|has|h1", true},
		{"f1|has|h1||", "f1|has|h1", true},
		{"f1|has|h1|x", "f1|has|h1", false},
		{"f1|has|h10", "f1|has|h1", false},
		{"f1|has|h", "f1|has|h1", false},
		{"", "f1|has|h1", false},
	}
	for _, tc := range tests {
		if got := ownedBy(tc.relKey, tc.mappingKey); got != tc.want {
			t.Errorf("ownedBy(%q, %q) = %v, want %v", tc.relKey, tc.mappingKey, got, tc.want)
		}
	}
}
