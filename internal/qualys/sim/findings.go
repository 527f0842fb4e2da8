package sim

import (
	"net/http"
	"strconv"
	"strings"
)

var findingFields = map[string]fieldKind{
	"id": fieldLong, "uniqueId": fieldString, "qid": fieldLong, "name": fieldString, "type": fieldString,
	"url": fieldString, "status": fieldString, "severity": fieldLong, "group": fieldString, "patch": fieldLong,
	"externalRef": fieldString, "webApp.id": fieldLong, "webApp.name": fieldString, "webApp.tags.id": fieldLong,
	"webApp.tags.name": fieldString, "ignoredDate": fieldDate, "ignoredReason": fieldString, "owasp.name": fieldString,
	"owasp.code": fieldLong, "wasc.name": fieldString, "wasc.code": fieldLong, "cwe.id": fieldLong,
	"firstDetectedDate": fieldDate, "lastDetectedDate": fieldDate, "lastTestedDate": fieldDate,
	"timesDetected": fieldLong, "fixedDate": fieldDate, "isIgnored": fieldBool, "findingType": fieldString,
	"potential": fieldBool, "detectionScore": fieldLong,
}

func findingField(f *finding, app *webApp, field string) fieldValue {
	switch field {
	case "id":
		return fieldValue{kind: fieldLong, n: f.id}
	case "uniqueId":
		return fieldValue{s: f.uniqueID}
	case "qid":
		return fieldValue{kind: fieldLong, n: int64(f.qid)}
	case "name":
		return fieldValue{s: f.name}
	case "type":
		return fieldValue{s: f.typ}
	case "url":
		return fieldValue{s: f.url}
	case "status":
		return fieldValue{s: f.status}
	case "severity":
		return fieldValue{kind: fieldLong, n: int64(f.severity)}
	case "group":
		return fieldValue{s: f.group}
	case "webApp.id":
		return fieldValue{kind: fieldLong, n: app.id}
	case "webApp.name":
		return fieldValue{s: app.name}
	case "webApp.tags.id", "webApp.tags.name":
		return appField(app, field)
	case "ignoredReason":
		return fieldValue{s: f.ignoredReason}
	case "cwe.id":
		return fieldValue{kind: fieldLong, n: int64(f.cwe)}
	case "firstDetectedDate":
		return fieldValue{kind: fieldDate, n: f.first}
	case "lastDetectedDate":
		return fieldValue{kind: fieldDate, n: f.last}
	case "lastTestedDate":
		return fieldValue{kind: fieldDate, n: f.tested}
	case "ignoredDate":
		if f.ignored {
			return fieldValue{kind: fieldDate, n: f.first}
		}
		return fieldValue{kind: fieldDate}
	case "fixedDate":
		return fieldValue{kind: fieldDate, n: f.fixed}
	case "timesDetected":
		return fieldValue{kind: fieldLong, n: int64(f.timesDetected)}
	case "isIgnored":
		return fieldValue{kind: fieldBool, s: strconv.FormatBool(f.ignored)}
	case "findingType":
		return fieldValue{s: f.findingType}
	case "potential":
		return fieldValue{kind: fieldBool, s: strconv.FormatBool(f.potential)}
	case "detectionScore":
		return fieldValue{kind: fieldLong, n: int64(f.detectionScore)}
	}
	return fieldValue{}
}

// serveFindings answers the WAS finding search and count endpoints.
func (s *Server) serveFindings(rc *reqCtx, countOnly bool) int {
	q, fail := rc.parseServiceRequest(findingFields)
	if fail != nil {
		return rc.qpsError(fail.code, fail.message, fail.resolution)
	}
	w := rc.world
	// Restrict to the apps named by webApp.id EQUALS/IN criteria.
	var apps []int
	restricted := false
	for _, c := range q.crit {
		if c.Field != "webApp.id" || (c.Operator != "EQUALS" && c.Operator != "IN") {
			continue
		}
		var set []int
		for _, v := range strings.Split(c.Value, ",") {
			id, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if a := w.appIndexOfID(id); a >= 0 && w.appAlive(a) {
				set = append(set, a)
			}
		}
		if restricted {
			set = intersect(apps, set)
		}
		apps, restricted = set, true
	}
	if restricted {
		sortInts(apps)
		apps = dedupe(apps)
		q.crit = dropIDMatches(q.crit, "webApp.id")
	}
	var minID int64 = q.startID
	for _, c := range q.crit {
		if c.Field == "id" && c.Operator == "GREATER" {
			id, _ := strconv.ParseInt(c.Value, 10, 64)
			minID = max(minID, id+1)
		}
	}
	type row struct {
		f   finding
		app *webApp
	}
	var page []row
	matched, more := 0, false
	visit := func(a int) bool {
		if findingID(a, findingSlots-1) < minID {
			return true
		}
		app := w.appAt(a)
		n := w.findingCount(&app)
		var f finding
		for j := range n {
			if findingID(a, j) < minID {
				continue
			}
			w.findingAt(&app, j, &f)
			if !matchAll(q.crit, func(field string) fieldValue { return findingField(&f, &app, field) }) {
				continue
			}
			matched++
			if countOnly || matched < q.offset {
				continue
			}
			if len(page) == q.limit {
				more = true
				return false
			}
			page = append(page, row{f, &app})
		}
		return true
	}
	if restricted {
		for _, a := range apps {
			if !visit(a) {
				break
			}
		}
	} else {
		w.eachApp(visit)
	}
	x := newXMLWriter(rc.out())
	rc.qpsStart(x)
	if countOnly {
		x.int(2, "count", int64(matched))
		x.close(0, "ServiceResponse")
		x.flush()
		return http.StatusOK
	}
	var last int64
	if len(page) > 0 {
		last = page[len(page)-1].f.id
	}
	qpsPage(x, len(page), more, last)
	if len(page) > 0 {
		x.open(2, "data")
		for k := range page {
			writeFinding(x, &page[k].f, page[k].app, s.kb, q.verbose, k == 0 && rc.corrupt)
			rc.record()
		}
		x.close(2, "data")
	}
	x.close(0, "ServiceResponse")
	x.flush()
	return http.StatusOK
}

var owaspTop = []struct {
	code int
	name string
}{{1, "Broken Access Control"}, {2, "Cryptographic Failures"}, {3, "Injection"}, {5, "Security Misconfiguration"}, {7, "Identification and Authentication Failures"}}

func writeFinding(x *xmlWriter, f *finding, app *webApp, kb *knowledgeBase, verbose, corrupt bool) {
	const in = 6
	x.open(4, "Finding")
	if corrupt {
		x.startTag(in, "id")
		x.buf = strconv.AppendInt(x.buf, f.id/10, 10)
		x.buf = append(x.buf, garbage...)
		x.endTag("id")
	} else {
		x.int(in, "id", f.id)
	}
	x.text(in, "uniqueId", f.uniqueID)
	if f.findingType == "QUALYS" {
		x.int(in, "qid", int64(f.qid))
	}
	x.int(in, "detectionScore", int64(f.detectionScore))
	x.cdata(in, "name", f.name)
	x.text(in, "type", f.typ)
	x.bool(in, "potential", f.potential)
	x.text(in, "findingType", f.findingType)
	if f.group != "" {
		x.text(in, "group", f.group)
	}
	if f.param != "" {
		x.cdata(in, "param", f.param)
	}
	x.int(in, "severity", int64(f.severity))
	ig := f.typ == "INFORMATION_GATHERED"
	if !ig {
		x.cdata(in, "url", f.url)
		x.text(in, "status", f.status)
	}
	x.date(in, "firstDetectedDate", f.first)
	x.date(in, "lastDetectedDate", f.last)
	x.date(in, "lastTestedDate", f.tested)
	if !ig && f.status == "FIXED" && f.fixed != 0 {
		x.date(in, "fixedDate", f.fixed)
	}
	x.date(in, "updatedDate", f.updated)
	if !ig {
		x.int(in, "timesDetected", int64(f.timesDetected))
	}
	x.open(in, "webApp")
	x.int(in+2, "id", app.id)
	x.cdata(in+2, "name", app.name)
	x.cdata(in+2, "url", app.url)
	if verbose {
		x.open(in+2, "tags")
		x.int(in+4, "count", int64(len(app.tags)))
		x.close(in+2, "tags")
	}
	x.close(in, "webApp")
	if !ig {
		x.bool(in, "isIgnored", f.ignored)
		if f.ignored {
			x.text(in, "ignoredReason", f.ignoredReason)
			x.open(in, "ignoredBy")
			x.int(in+2, "id", app.ownerID)
			writeUserFields(x, in+2, app.ownerID)
			x.close(in, "ignoredBy")
			x.date(in, "ignoredDate", f.first)
			x.cdata(in, "ignoredComment", "Accepted by the application owner.")
		}
	}
	if verbose {
		v := kb.facts(f.kbPos)
		x.open(in, "cwe")
		x.int(in+2, "count", 1)
		x.open(in+2, "list")
		x.int(in+4, "long", int64(f.cwe))
		x.close(in+2, "list")
		x.close(in, "cwe")
		o := owaspTop[f.cwe%len(owaspTop)]
		x.open(in, "owasp")
		x.int(in+2, "count", 1)
		x.open(in+2, "list")
		x.open(in+4, "OWASP")
		x.text(in+6, "name", o.name)
		x.text(in+6, "url", "https://owasp.org/Top10/A0"+strconv.Itoa(o.code)+"_2021/")
		x.int(in+6, "code", int64(o.code))
		x.close(in+4, "OWASP")
		x.close(in+2, "list")
		x.close(in, "owasp")
		x.open(in, "wasc")
		x.int(in+2, "count", 1)
		x.open(in+2, "list")
		x.open(in+4, "WASC")
		x.text(in+6, "name", "Improper Input Handling")
		x.text(in+6, "url", "http://projects.webappsec.org/Improper-Input-Handling")
		x.int(in+6, "code", 20)
		x.close(in+4, "WASC")
		x.close(in+2, "list")
		x.close(in, "wasc")
		if v.cvss3Base > 0 {
			x.open(in, "cvssV3")
			x.dec1(in+2, "base", v.cvss3Base)
			x.dec1(in+2, "temporal", v.cvss3Temp)
			x.text(in+2, "attackVector", "Network")
			x.close(in, "cvssV3")
		}
		x.open(in, "resultList")
		x.int(in+2, "count", 1)
		x.open(in+2, "list")
		x.open(in+4, "Result")
		x.bool(in+6, "authentication", false)
		x.bool(in+6, "ajax", false)
		x.open(in+6, "payloads")
		x.int(in+8, "count", 1)
		x.open(in+8, "list")
		x.open(in+10, "PayloadInstance")
		payload := "N/A"
		if f.param != "" {
			payload = f.param + "=%27%22%3E%3Cqss%3E"
		}
		x.cdata(in+12, "payload", payload)
		if !ig {
			x.open(in+12, "request")
			x.text(in+14, "method", "GET")
			x.cdata(in+14, "link", f.url)
			x.text(in+14, "headers", "SG9zdDogZXhhbXBsZQ==")
			x.close(in+12, "request")
		}
		x.cdata(in+12, "response", "HTTP/1.1 200 OK evidence for "+f.name)
		x.close(in+10, "PayloadInstance")
		x.close(in+8, "list")
		x.close(in+6, "payloads")
		x.close(in+4, "Result")
		x.close(in+2, "list")
		x.close(in, "resultList")
		x.open(in, "history")
		x.open(in+2, "set")
		x.open(in+4, "WebAppFindingHistory")
		x.open(in+6, "scanData")
		x.int(in+8, "id", app.lastScanID)
		x.text(in+8, "reference", "was/"+strconv.FormatInt(app.lastScanID, 10))
		x.date(in+8, "launchedDate", f.tested)
		x.close(in+6, "scanData")
		x.close(in+4, "WebAppFindingHistory")
		x.close(in+2, "set")
		x.close(in, "history")
	}
	x.close(4, "Finding")
	x.maybeFlush()
}
