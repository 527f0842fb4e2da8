package qualys_test

import (
	"context"
	"fmt"
	"log"
	"path/filepath"

	"github.com/qgraph/qgraph/internal/qualys"
	"github.com/qgraph/qgraph/internal/qualys/qualystest"
)

// Replays a recorded KnowledgeBase answer and prints the vulnerability.
func ExampleClient_KnowledgeBase() {
	entries, err := qualystest.LoadHAR(filepath.Join("..", "..", "..", "shared", "testdata", "qualys", "recordings", "iterateVulnerabilities.har"))
	if err != nil {
		log.Fatal(err)
	}
	srv := qualystest.NewServer(entries)
	defer srv.Close()

	c, err := qualys.New(qualys.Options{APIURL: srv.URL, Username: "user", Password: "secret"})
	if err != nil {
		log.Fatal(err)
	}
	err = c.KnowledgeBase(context.Background(), qualys.KBParams{QIDs: []int64{316760}}, func(v *qualys.Vuln) error {
		fmt.Println(v.QID, v.SeverityLevel, v.CVEs[0].ID, v.Patchable)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	st := c.Stats().ByEndpoint[qualys.EndpointKnowledgeBase]
	fmt.Println("pages", st.Fetched, "records", st.Records)
	// Output:
	// 316760 3 CVE-2020-3403 true
	// pages 1 records 1
}
