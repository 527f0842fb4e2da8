package qualys

import (
	"context"
	"testing"
	"time"
)

func TestServerTime(t *testing.T) {
	t.Parallel()
	const dateHeader = "Wed, 07 Oct 2020 18:00:00 GMT"
	tests := []struct {
		name   string
		answer scripted
		want   time.Time
	}{
		{name: "document DATETIME, not the Date header",
			answer: scripted{status: 200, header: map[string]string{"Date": dateHeader}, body: kbOneVuln},
			want:   time.Date(2020, 10, 7, 17, 46, 23, 0, time.UTC)},
		{name: "no DATETIME: the Date header is not used",
			answer: scripted{status: 200, header: map[string]string{"Date": dateHeader},
				body: `<KNOWLEDGE_BASE_VULN_LIST_OUTPUT><RESPONSE><VULN_LIST></VULN_LIST></RESPONSE></KNOWLEDGE_BASE_VULN_LIST_OUTPUT>`}},
		{name: "a DATETIME that does not parse is ignored",
			answer: scripted{status: 200, header: map[string]string{"Date": dateHeader},
				body: `<KNOWLEDGE_BASE_VULN_LIST_OUTPUT><RESPONSE><DATETIME>soon</DATETIME><VULN_LIST></VULN_LIST></RESPONSE></KNOWLEDGE_BASE_VULN_LIST_OUTPUT>`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newScriptServer(t, tt.answer)
			c, _, _ := newTestClient(t, srv.URL, nil)
			if got := c.ServerTime(); !got.IsZero() {
				t.Fatalf("ServerTime before any answer = %v, want zero", got)
			}
			err := c.KnowledgeBase(context.Background(), KBParams{QIDs: []int64{316760}}, func(*Vuln) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			if got := c.ServerTime(); !got.Equal(tt.want) {
				t.Errorf("ServerTime = %v, want %v", got, tt.want)
			}
		})
	}
}
