package sim

import (
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serviceRequest is a QPS search body.
type serviceRequest struct {
	Preferences struct {
		LimitResults    string `xml:"limitResults"`
		StartFromOffset string `xml:"startFromOffset"`
		StartFromID     string `xml:"startFromId"`
		Verbose         string `xml:"verbose"`
	} `xml:"preferences"`
	Filters struct {
		Criteria []criterion `xml:"Criteria"`
	} `xml:"filters"`
}

// criterion is one <Criteria field="" operator="">value</Criteria>.
type criterion struct {
	Field    string `xml:"field,attr"`
	Operator string `xml:"operator,attr"`
	Value    string `xml:",chardata"`
}

// qpsQuery is a parsed, validated QPS search.
type qpsQuery struct {
	limit   int
	offset  int // 1-based
	startID int64
	verbose bool
	crit    []criterion
}

// qpsFail is an error answer of a QPS request.
type qpsFail struct{ code, message, resolution string }

func invalidCriteria(field, value, resolution string) *qpsFail {
	return &qpsFail{"INVALID_REQUEST", "Criteria: Invalid value format for criteria '" + field + "' (" + value + ").", resolution}
}

// parseServiceRequest reads the body of a QPS search. An empty body (GET or
// POST without body) means no preferences and no filters.
func (rc *reqCtx) parseServiceRequest(fields map[string]fieldKind) (qpsQuery, *qpsFail) {
	q := qpsQuery{limit: 100, offset: 1}
	var sr serviceRequest
	if rc.r.Method == http.MethodPost {
		body, err := io.ReadAll(io.LimitReader(rc.r.Body, 8<<20))
		if err != nil {
			return q, &qpsFail{"INVALID_XML", "Could not read the request body.", ""}
		}
		if strings.TrimSpace(string(body)) != "" {
			if err := xml.Unmarshal(body, &sr); err != nil {
				return q, &qpsFail{"INVALID_XML", "Invalid XML in request body: " + err.Error(), "Send a well-formed ServiceRequest document."}
			}
		}
	}
	p := sr.Preferences
	if v := strings.TrimSpace(p.LimitResults); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return q, &qpsFail{"INVALID_REQUEST", "Invalid value for limitResults (" + v + ").", "Specify a positive number."}
		}
		if n > 1000 {
			return q, &qpsFail{"MAX_LIMIT_EXCEEDED", "limitResults " + v + " exceeds the maximum of 1000.", "Specify at most 1000."}
		}
		q.limit = n
	}
	if v := strings.TrimSpace(p.StartFromOffset); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return q, &qpsFail{"INVALID_REQUEST", "Invalid value for startFromOffset (" + v + ").", "Specify a positive number."}
		}
		q.offset = n
	}
	if v := strings.TrimSpace(p.StartFromID); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return q, &qpsFail{"INVALID_REQUEST", "Invalid value for startFromId (" + v + ").", "Specify a number."}
		}
		q.startID = n
	}
	q.verbose = strings.TrimSpace(p.Verbose) == "true"
	for _, c := range sr.Filters.Criteria {
		c.Value = strings.TrimSpace(c.Value)
		c.Operator = strings.ToUpper(strings.TrimSpace(c.Operator))
		kind, ok := fields[c.Field]
		if !ok {
			return q, &qpsFail{"INVALID_REQUEST", "Criteria: unsupported field '" + c.Field + "'.", "Use one of the documented search fields."}
		}
		switch c.Operator {
		case "EQUALS", "NOT EQUALS", "GREATER", "LESSER", "IN", "CONTAINS":
		default:
			return q, &qpsFail{"INVALID_REQUEST", "Criteria: unsupported operator '" + c.Operator + "' for field '" + c.Field + "'.", "Use EQUALS, NOT EQUALS, GREATER, LESSER, IN or CONTAINS."}
		}
		values := []string{c.Value}
		if c.Operator == "IN" {
			values = strings.Split(c.Value, ",")
		}
		for _, v := range values {
			v = strings.TrimSpace(v)
			switch kind {
			case fieldLong:
				if _, err := strconv.ParseInt(v, 10, 64); err != nil {
					return q, invalidCriteria(c.Field, c.Value, "Specify criteria value(s) as Long.")
				}
			case fieldBool:
				if v != "true" && v != "false" {
					return q, invalidCriteria(c.Field, c.Value, "Values expected: true, false.")
				}
			case fieldDate:
				if _, err := parseQPSDate(v); err != nil {
					return q, invalidCriteria(c.Field, c.Value, "Specify date value(s) in the format YYYY-MM-DDTHH:MM:SSZ.")
				}
			}
		}
		q.crit = append(q.crit, c)
	}
	return q, nil
}

// fieldKind is the value type of a searchable field.
type fieldKind uint8

const (
	fieldString fieldKind = iota
	fieldLong
	fieldBool
	fieldDate
)

func parseQPSDate(v string) (int64, error) {
	for _, layout := range []string{"2006-01-02T15:04:05Z", "2006-01-02T15:04:05.000Z", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Unix(), nil
		}
	}
	_, err := time.Parse(time.RFC3339, v)
	return 0, err
}

// fieldValue is a record's value for one criterion field.
type fieldValue struct {
	kind fieldKind
	s    string
	n    int64
	many []string // multi-valued fields (tags)
}

// matchCriterion evaluates one criterion against a value.
func matchCriterion(c criterion, v fieldValue) bool {
	if v.many != nil {
		any := false
		for _, m := range v.many {
			if matchCriterion(c, fieldValue{kind: fieldString, s: m}) {
				any = true
				break
			}
		}
		if c.Operator == "NOT EQUALS" {
			return !any
		}
		return any
	}
	cmp := func(want string) int {
		switch v.kind {
		case fieldLong:
			w, _ := strconv.ParseInt(strings.TrimSpace(want), 10, 64)
			return compareInt(v.n, w)
		case fieldDate:
			w, _ := parseQPSDate(strings.TrimSpace(want))
			return compareInt(v.n, w)
		case fieldBool:
			return strings.Compare(v.s, strings.TrimSpace(want))
		}
		return strings.Compare(strings.ToLower(v.s), strings.ToLower(strings.TrimSpace(want)))
	}
	switch c.Operator {
	case "EQUALS":
		return cmp(c.Value) == 0
	case "NOT EQUALS":
		return cmp(c.Value) != 0
	case "GREATER":
		return cmp(c.Value) > 0
	case "LESSER":
		return cmp(c.Value) < 0
	case "IN":
		for _, w := range strings.Split(c.Value, ",") {
			if cmp(w) == 0 {
				return true
			}
		}
		return false
	case "CONTAINS":
		return strings.Contains(strings.ToLower(v.s), strings.ToLower(c.Value))
	}
	return false
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// qpsHeader starts a successful QPS answer.
func (rc *reqCtx) qpsStart(x *xmlWriter) {
	rc.w.Header().Set("Content-Type", "application/xml")
	rc.w.WriteHeader(http.StatusOK)
	rc.jitter()
	x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	x.raw(`<ServiceResponse xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="` + rc.baseURL() + qpsSchema(rc.ep) + `">` + "\n")
	x.text(2, "responseCode", "SUCCESS")
}

// qpsPage writes the count/hasMoreRecords/lastId head of a search answer.
// count 0 gets the bare form real Qualys sends for filtered searches.
func qpsPage(x *xmlWriter, count int, more bool, lastID int64) {
	x.int(2, "count", int64(count))
	if count == 0 {
		return
	}
	x.bool(2, "hasMoreRecords", more)
	if more {
		x.int(2, "lastId", lastID)
	}
}

// servePortal answers GET /qps/rest/portal/version.
func (s *Server) servePortal(rc *reqCtx) int {
	x := newXMLWriter(rc.out())
	rc.qpsStart(x)
	x.int(2, "count", 1)
	x.open(2, "data")
	x.open(4, "Portal-Version")
	for _, m := range portalModules {
		x.text(6, m[0], m[1])
	}
	x.close(4, "Portal-Version")
	x.open(4, "QWeb-Version")
	x.text(6, "WEB-VERSION", "10.18.2.0-2")
	x.text(6, "SCANNER-VERSION", "12.10.24-1")
	x.text(6, "VULNSIGS-VERSION", "2.5.484-3")
	x.close(4, "QWeb-Version")
	x.close(2, "data")
	x.close(0, "ServiceResponse")
	x.flush()
	return http.StatusOK
}

var portalModules = [][2]string{
	{"PortalApplication-VERSION", "3.11.0.0-3 OFFICIAL #713 (2022-04-12T08:00:39Z)"}, {"QWEB__VM-VERSION", "2.11.0"},
	{"ITAM-VERSION", "2.9.0.0-1"}, {"WAF-VERSION", "2.13.5.0"}, {"QUESTIONNAIRE__V2-VERSION", "1.19.0.0"},
	{"WAS-VERSION", "1.1.0.0-2"}, {"ICS-VERSION", "0.9.3.1-6"}, {"WAF__V3-VERSION", "3.0.4.0"},
	{"CERTVIEW-VERSION", "2.8.5.0-26"}, {"CLOUDVIEW-VERSION", "1.22.0.1-2"}, {"MDS-VERSION", "2.19.2.0-98"},
	{"PS-VERSION", "1.4.2.0-1"}, {"IOC-VERSION", "2.0.0-5"}, {"OCA-VERSION", "1.7.1.1"}, {"UD-VERSION", "1.6.0"},
	{"QWEB__PC-VERSION", "1.0.0-38"}, {"CS-VERSION", "1.15.0-24"}, {"CA-VERSION", "3.11.0.0"},
	{"SECURITY__ANALYTICS-VERSION", "1.0.4"}, {"QGS-VERSION", "1.3.3.0-8"}, {"QUESTIONNAIRE-VERSION", "2.31.0.0"},
	{"FIM-VERSION", "3.4.0.0-18"}, {"CM-VERSION", "1.35.0.0"}, {"PM-VERSION", "1.6.0.1-4"},
	{"THREAT__PROTECT-VERSION", "1.2.0.0"}, {"AV2-VERSION", "0.1.0"}, {"SEM-VERSION", "1.0.2"}, {"SSC-VERSION", "1.0.0"},
	{"SM-VERSION", "1.1.0"},
}

// serveActivityLog answers the legacy credential check with a CSV page.
func (s *Server) serveActivityLog(rc *reqCtx) int {
	p, e := rc.parseFO([]string{"action", "echo_request", "username", "truncation_limit", "since_datetime", "until_datetime", "id_max", "output_format"})
	if e != nil {
		return rc.foError(e.code, e.text)
	}
	rc.w.Header().Set("Content-Type", "text/csv;charset=UTF-8")
	rc.w.WriteHeader(http.StatusOK)
	user := p.get("username")
	if user == "" {
		user = s.opts.Username
	}
	var b strings.Builder
	b.WriteString("----BEGIN_RESPONSE_BODY_CSV\n")
	b.WriteString("\"Date\",\"Action\",\"Module\",\"Details\",\"User Name\",\"User Role\",\"User IP\"\n")
	b.WriteString("\"" + rc.nowDate() + "\",\"request\",\"auth\",\"API: /api/2.0/fo/asset/host/index.php\",\"" + user + "\",\"Manager\",\"192.0.2.1\"\n")
	b.WriteString("----END_RESPONSE_BODY_CSV\n")
	if p.get("truncation_limit") == "1" {
		b.WriteString("----BEGIN_RESPONSE_FOOTER_CSV\nWARNING\n\"CODE\",\"TEXT\",\"URL\"\n")
		b.WriteString("\"1980\",\"1 record limit exceeded. Use URL to get next batch of results.\",\"" + rc.baseURL() +
			"/api/2.0/fo/activity_log/?action=list&username=" + user + "&truncation_limit=1&id_max=1000\"\n")
		b.WriteString("----END_RESPONSE_FOOTER_CSV\n")
	}
	io.WriteString(rc.out(), b.String())
	return http.StatusOK
}
