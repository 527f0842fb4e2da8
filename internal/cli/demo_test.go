package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo runs qgraph demo end to end: simulator, full sync, graph
// summary and every managed question, into a temporary store.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo syncs a few thousand findings")
	}
	db := filepath.Join(t.TempDir(), "demo.db")
	code, out, errOut := runCLI(t, nil, "--db", db, "demo")
	if code != ExitOK {
		t.Fatalf("demo exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"status success", "Entities by _type:", "qualys_host_finding", "Relationships by _type:",
		"aws_instance_has_qualys_host_finding", "== ", "result(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(out, "error:") || strings.Contains(out, "had no answer") {
		t.Errorf("a managed question failed or had no answer:\n%s", out)
	}
	if !strings.Contains(errOut, "Qualys simulator on http://127.0.0.1:") {
		t.Errorf("stderr does not name the simulator:\n%s", errOut)
	}
}
