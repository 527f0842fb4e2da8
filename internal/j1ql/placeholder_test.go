package j1ql

import "testing"

func TestPlaceholders(t *testing.T) {
	src := "FIND Host WITH name = '{{host name}}' OR ip = '{{ip}}' OR alias = '{{host name}}'"
	if got := Placeholders(src); len(got) != 2 || got[0] != "host name" || got[1] != "ip" {
		t.Errorf("Placeholders = %q", got)
	}
	out, err := SubstitutePlaceholders(src, map[string]string{"host name": "web", "ip": "10.0.0.1"})
	if err != nil || out != "FIND Host WITH name = 'web' OR ip = '10.0.0.1' OR alias = 'web'" {
		t.Errorf("SubstitutePlaceholders = %q, %v", out, err)
	}
	if _, err := SubstitutePlaceholders(src, map[string]string{"ip": "x"}); err == nil {
		t.Error("a missing value was accepted")
	}
}
