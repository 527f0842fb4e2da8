package qualystest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestdataDir returns the shared Qualys test data folder
// (shared/testdata/qualys, beside the repository), looked up from the
// working directory upwards. The test fails at once when it is missing.
func TestdataDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("qualystest: %v", err)
	}
	for {
		candidate := filepath.Join(dir, "shared", "testdata", "qualys")
		if st, err := os.Stat(candidate); err == nil && st.IsDir() {
			return candidate
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("qualystest: no shared/testdata/qualys above the working directory")
		}
		dir = parent
	}
}

// Recording returns the path of a recorded HAR file, e.g.
// Recording(t, "iterateWebApps.har").
func Recording(tb testing.TB, name string) string {
	tb.Helper()
	return filepath.Join(TestdataDir(tb), "recordings", name)
}

// Fixture returns the path of a fixture file, e.g.
// Fixture(t, "detections.xml").
func Fixture(tb testing.TB, name string) string {
	tb.Helper()
	return filepath.Join(TestdataDir(tb), "fixtures", name)
}
