package sim

import (
	"net/http"
	"strconv"
	"strings"
)

// webApp is one WAS web application as of the current epoch.
type webApp struct {
	index          int
	id             int64
	name, url      string
	ownerID        int64
	created        int64
	updated        int64
	scanned        bool
	lastScan       int64
	lastScanID     int64
	lastScanStatus string
	resultsStatus  string
	scans          []scanEvent // scans after the first, oldest first
	firstScan      int64
	tags           []int
	os             string
	riskScore      int
	scheduled      bool
	bornEpoch      int
}

var appWords = []string{"portal", "shop", "billing", "careers", "intranet", "api", "partners", "support", "docs", "status",
	"payments", "hr", "wiki", "crm", "booking", "events", "news", "search", "auth", "admin"}

const webAppScanPerEpoch = 0.5

// appAt builds web app slot a as of the current epoch.
func (w *world) appAt(a int) webApp {
	r := newRNG(hashOf(w.seed, tagWebApp, uint64(a)))
	app := webApp{index: a, id: w.appID(a), bornEpoch: bornEpoch(w.appTotal, a)}
	word := appWords[a%len(appWords)]
	host := word
	if a >= len(appWords) {
		host += "-" + strconv.Itoa(a/len(appWords)+1)
	}
	host += "." + pick(&r, []string{"example.com", "example.net", "example.org"})
	app.url = pick(&r, []string{"https://", "https://", "http://"}) + host + "/"
	app.name = app.url
	if r.chance(0.4) {
		app.name = strings.ToUpper(word[:1]) + word[1:] + " " + pick(&r, []string{"App", "Portal", "Service", "Site"})
	}
	app.ownerID = 17729931 + int64(r.intn(3))
	if app.bornEpoch == 0 {
		app.created = w.epochs[0] - int64(86400*(10+r.intn(700)))
	} else {
		app.created = w.scanTimeIn(app.bornEpoch, hashOf(w.seed, tagWebApp, uint64(a), 1)) - 3600
	}
	app.updated = app.created + int64(60+r.intn(86400))
	app.scanned = app.bornEpoch > 0 || r.chance(0.9)
	if app.scanned {
		if app.bornEpoch == 0 {
			app.lastScan = w.epochs[0] - int64(3600+r.intn(20*86400))
		} else {
			app.lastScan = app.created + 1800
		}
	}
	app.firstScan = app.lastScan
	for e := app.bornEpoch + 1; e <= w.epoch(); e++ {
		h := hashOf(w.seed, tagWebApp, uint64(a), uint64(e), 2)
		if unitOf(h) < webAppScanPerEpoch {
			t := w.scanTimeIn(e, mix64(h))
			app.scans = append(app.scans, scanEvent{epoch: e, at: t})
			if !app.scanned {
				app.firstScan = t
			}
			app.scanned, app.lastScan = true, t
		}
	}
	if app.scanned {
		app.lastScanID = 3000000 + int64(a)*1000 + int64(len(app.scans))
		app.lastScanStatus = "FINISHED"
		app.resultsStatus = "SUCCESSFUL"
		if app.updated < app.lastScan {
			app.updated = app.lastScan + 120
		}
	} else {
		app.lastScanStatus = "SCAN_NOT_LAUNCHED"
	}
	for k := range r.intn(3) {
		app.tags = append(app.tags, []int{tagProduction, tagInternetFacing, tagPCI, tagBusinessCritical}[(a+k)%4])
	}
	sortInts(app.tags)
	app.tags = dedupe(app.tags)
	app.os = pick(&r, []string{"Linux 4.x", "Windows 2019", "Linux 5.x", "Unknown"})
	app.riskScore = r.intn(1001)
	app.scheduled = r.chance(0.6)
	return app
}

// finding is one WAS finding as of the current epoch.
type finding struct {
	id                                   int64
	uniqueID                             string
	qid                                  int
	kbPos                                int
	name, typ, findingType, group, param string
	potential                            bool
	severity                             int
	detectionScore                       int
	url, status                          string
	first, last, tested, fixed, updated  int64
	timesDetected                        int
	ignored                              bool
	ignoredReason                        string
	cwe                                  int
}

// findingCount returns how many finding slots app has now.
func (w *world) findingCount(app *webApp) int {
	if !app.scanned {
		return 0
	}
	r := newRNG(hashOf(w.seed, tagFinding, uint64(app.index)))
	f := w.opts.FindingsPerWebApp
	n := r.between(max(1, f/2), f+f/2)
	for _, s := range app.scans {
		n += int(hashOf(w.seed, tagFindingAdded, uint64(app.index), uint64(s.epoch)) % uint64(max(1, f/10)+1))
	}
	return min(n, findingSlots-1, len(w.kb.byFamily[famWeb])*3)
}

var findingGroups = map[string]string{"SQL Injection": "SQL", "Cross-Site Scripting (Reflected)": "XSS", "Cross-Site Scripting (Stored)": "XSS",
	"Path Traversal": "PATH", "Credit Card Number Disclosed": "CC"}

// findingAt fills f with finding slot j of app.
func (w *world) findingAt(app *webApp, j int, f *finding) {
	kb := w.kb
	pool := kb.byFamily[famWeb]
	r := newRNG(hashOf(w.seed, tagFinding, uint64(app.index), uint64(j)))
	pos := int(pool[(app.index*131+j*7)%len(pool)])
	v := kb.facts(pos)
	*f = finding{id: findingID(app.index, j), kbPos: pos, qid: v.qid, name: v.title, severity: v.severity}
	f.uniqueID = uuidOf(&r)
	switch {
	case v.vtype == vtInfo:
		f.typ = "INFORMATION_GATHERED"
	case r.chance(0.12):
		f.typ = "SENSITIVE_CONTENT"
	default:
		f.typ = "VULNERABILITY"
	}
	f.potential = v.vtype == vtPotential
	f.findingType = "QUALYS"
	switch u := r.float(); {
	case u < 0.03 && f.typ != "INFORMATION_GATHERED":
		f.findingType = "BUGCROWD"
	case u < 0.08 && f.typ != "INFORMATION_GATHERED":
		f.findingType = "BURP"
	}
	if g, ok := findingGroups[f.name]; ok {
		f.group = g
	} else if f.typ == "INFORMATION_GATHERED" {
		f.group = "INFO"
	}
	if f.typ != "INFORMATION_GATHERED" && r.chance(0.17) {
		f.param = pick(&r, []string{"id", "q", "search", "redirect", "file", "user"})
	}
	f.detectionScore = 0
	if f.typ != "INFORMATION_GATHERED" {
		f.detectionScore = min(100, f.severity*18+r.intn(15))
	}
	f.url = strings.TrimSuffix(app.url, "/") + pick(&r, []string{"/", "/login", "/search", "/api/v1/items", "/comment", "/account/profile"})
	if f.param != "" {
		f.url += "?" + f.param + "=" + strconv.Itoa(r.intn(1000))
	}
	f.cwe = pick(&r, []int{79, 89, 22, 200, 352, 601, 614, 693, 1004})
	// History.
	born := -1 // index into app.scans of the scan that found it; -1: initial
	base := w.findingCount(&webApp{index: app.index, scanned: true})
	if j >= base {
		n := base
		for k, s := range app.scans {
			n += int(hashOf(w.seed, tagFindingAdded, uint64(app.index), uint64(s.epoch)) % uint64(max(1, w.opts.FindingsPerWebApp/10)+1))
			if j < n {
				born = k
				break
			}
		}
	}
	bornAt := app.firstScan
	if born >= 0 {
		bornAt = app.scans[born].at
	}
	f.first, f.last, f.tested, f.timesDetected = bornAt, bornAt, bornAt, 1
	f.status = "NEW"
	if born < 0 && app.bornEpoch == 0 {
		f.first = bornAt - int64(86400*r.intn(200))
		f.timesDetected = 1
		switch u := r.float(); {
		case u < 0.2:
			f.status, f.first = "NEW", bornAt
		case u < 0.75:
			f.status, f.timesDetected = "ACTIVE", r.between(2, 30)
		case u < 0.88:
			f.status, f.fixed = "FIXED", bornAt
			f.last = bornAt - 86400
		case u < 0.96:
			f.status, f.timesDetected = "REOPENED", r.between(2, 30)
		default:
			f.status = "PROTECTED"
		}
	}
	for _, s := range app.scans[born+1:] {
		u := unitOf(hashOf(w.seed, tagFindingEvent, uint64(app.index), uint64(j), uint64(s.epoch)))
		f.tested = s.at
		switch f.status {
		case "FIXED":
			if u < findingReopenRate {
				f.status, f.last = "REOPENED", s.at
				f.timesDetected++
			}
		case "PROTECTED":
		default:
			if u < findingFixRate {
				f.status, f.fixed = "FIXED", s.at
			} else {
				f.status, f.last = "ACTIVE", s.at
				f.timesDetected++
			}
		}
	}
	f.updated = f.tested
	f.ignored = f.typ != "INFORMATION_GATHERED" && r.chance(0.04)
	if f.ignored {
		f.ignoredReason = pick(&r, []string{"FALSE_POSITIVE", "RISK_ACCEPTED", "NOT_APPLICABLE"})
	}
}

var webAppFields = map[string]fieldKind{
	"id": fieldLong, "name": fieldString, "url": fieldString, "tags.name": fieldString, "tags.id": fieldLong,
	"createdDate": fieldDate, "updatedDate": fieldDate, "isScheduled": fieldBool, "isScanned": fieldBool,
	"lastScan.status": fieldString, "lastScan.date": fieldDate, "owner.id": fieldLong,
}

func appField(app *webApp, field string) fieldValue {
	switch field {
	case "id":
		return fieldValue{kind: fieldLong, n: app.id}
	case "name":
		return fieldValue{s: app.name}
	case "url":
		return fieldValue{s: app.url}
	case "tags.name", "webApp.tags.name":
		names := []string{}
		for _, t := range app.tags {
			names = append(names, tagTable[t].name)
		}
		return fieldValue{many: names}
	case "tags.id", "webApp.tags.id":
		ids := []string{}
		for _, t := range app.tags {
			ids = append(ids, strconv.FormatInt(tagTable[t].id, 10))
		}
		return fieldValue{many: ids}
	case "createdDate":
		return fieldValue{kind: fieldDate, n: app.created}
	case "updatedDate":
		return fieldValue{kind: fieldDate, n: app.updated}
	case "isScheduled":
		return fieldValue{kind: fieldBool, s: strconv.FormatBool(app.scheduled)}
	case "isScanned":
		return fieldValue{kind: fieldBool, s: strconv.FormatBool(app.scanned)}
	case "lastScan.status":
		return fieldValue{s: app.lastScanStatus}
	case "lastScan.date":
		return fieldValue{kind: fieldDate, n: app.lastScan}
	case "owner.id":
		return fieldValue{kind: fieldLong, n: app.ownerID}
	}
	return fieldValue{}
}

// eachApp calls fn for every live web app, in ID order, until it returns false.
func (w *world) eachApp(fn func(a int) bool) {
	for a := range w.appTotal[w.epoch()] {
		if w.appAlive(a) && !fn(a) {
			return
		}
	}
}

// serveWebApps answers the WAS web app search and count endpoints.
func (s *Server) serveWebApps(rc *reqCtx, countOnly bool) int {
	q, fail := rc.parseServiceRequest(webAppFields)
	if fail != nil {
		return rc.qpsError(fail.code, fail.message, fail.resolution)
	}
	w := rc.world
	var page []webApp
	matched, more := 0, false
	w.eachApp(func(a int) bool {
		app := w.appAt(a)
		if app.id < q.startID || !matchAll(q.crit, func(f string) fieldValue { return appField(&app, f) }) {
			return true
		}
		matched++
		if countOnly || matched < q.offset {
			return true
		}
		if len(page) == q.limit {
			more = true
			return false
		}
		page = append(page, app)
		return true
	})
	x := newXMLWriter(rc.out())
	rc.qpsStart(x)
	if countOnly {
		x.int(2, "count", int64(matched))
		x.close(0, "ServiceResponse")
		x.flush()
		return http.StatusOK
	}
	if len(page) == 0 && !hasField(q.crit, "id") {
		x.int(2, "count", 0)
		x.bool(2, "hasMoreRecords", false)
		x.raw("  <data>\n      </data>\n")
	} else {
		var last int64
		if len(page) > 0 {
			last = page[len(page)-1].id
		}
		qpsPage(x, len(page), more, last)
	}
	if len(page) > 0 {
		x.open(2, "data")
		for k := range page {
			writeWebApp(x, &page[k], q.verbose, k == 0 && rc.corrupt)
			rc.record()
		}
		x.close(2, "data")
	}
	x.close(0, "ServiceResponse")
	x.flush()
	return http.StatusOK
}

func hasField(crit []criterion, field string) bool {
	for _, c := range crit {
		if c.Field == field {
			return true
		}
	}
	return false
}

func writeWebApp(x *xmlWriter, app *webApp, verbose, corrupt bool) {
	x.open(4, "WebApp")
	if corrupt {
		x.startTag(6, "id")
		x.buf = strconv.AppendInt(x.buf, app.id/10, 10)
		x.buf = append(x.buf, garbage...)
		x.endTag("id")
	} else {
		x.int(6, "id", app.id)
	}
	x.cdata(6, "name", app.name)
	x.cdata(6, "url", app.url)
	if verbose {
		x.text(6, "os", app.os)
	}
	x.open(6, "owner")
	x.int(8, "id", app.ownerID)
	if verbose {
		writeUserFields(x, 8, app.ownerID)
	}
	x.close(6, "owner")
	if verbose {
		x.text(6, "scope", "DOMAINS")
		x.open(6, "uris")
		x.int(8, "count", 1)
		x.open(8, "list")
		x.cdata(10, "Url", app.url+"login")
		x.close(8, "list")
		x.close(6, "uris")
		x.open(6, "domains")
		x.int(8, "count", 0)
		x.close(6, "domains")
		x.open(6, "attributes")
		x.int(8, "count", 1)
		x.open(8, "list")
		x.open(10, "Attribute")
		x.text(12, "name", "Business Owner")
		x.text(12, "value", "Digital")
		x.close(10, "Attribute")
		x.close(8, "list")
		x.close(6, "attributes")
	}
	x.open(6, "tags")
	x.int(8, "count", int64(len(app.tags)))
	if verbose && len(app.tags) > 0 {
		x.open(8, "list")
		for _, t := range app.tags {
			x.open(10, "Tag")
			x.int(12, "id", tagTable[t].id)
			x.text(12, "name", tagTable[t].name)
			x.close(10, "Tag")
		}
		x.close(8, "list")
	}
	x.close(6, "tags")
	if verbose {
		x.int(6, "riskScore", int64(app.riskScore))
		x.open(6, "defaultProfile")
		x.int(8, "id", 1200301)
		x.text(8, "name", "Initial WAS Options")
		x.close(6, "defaultProfile")
		x.open(6, "defaultScanner")
		x.text(8, "type", "EXTERNAL")
		x.close(6, "defaultScanner")
		x.bool(6, "scannerLocked", false)
		x.bool(6, "progressiveScanning", true)
		x.text(6, "redundancyLinks", "")
		x.int(6, "maxRedundancyLinks", 3)
		x.text(6, "useRobots", "IGNORE")
		x.bool(6, "useSitemap", false)
		x.open(6, "urlExcludelist")
		x.int(8, "count", 1)
		x.open(8, "list")
		x.startTag(10, `UrlEntry regex="true"`)
		x.buf = appendCDATA(x.buf, ".*logout.*")
		x.endTag("UrlEntry")
		x.close(8, "list")
		x.close(6, "urlExcludelist")
		x.open(6, "authRecords")
		x.int(8, "count", 0)
		x.close(6, "authRecords")
		x.bool(6, "malwareMonitoring", false)
		x.bool(6, "malwareNotification", false)
		x.bool(6, "isScheduled", app.scheduled)
		if app.lastScanID != 0 {
			x.open(6, "lastScan")
			x.int(8, "id", app.lastScanID)
			x.text(8, "name", "Web Application Vulnerability Scan - "+app.name)
			x.open(8, "summary")
			x.text(10, "resultsStatus", app.resultsStatus)
			x.text(10, "authStatus", "NONE")
			x.close(8, "summary")
			x.close(6, "lastScan")
		}
		x.open(6, "createdBy")
		x.int(8, "id", app.ownerID)
		writeUserFields(x, 8, app.ownerID)
		x.close(6, "createdBy")
		x.open(6, "updatedBy")
		x.int(8, "id", app.ownerID)
		writeUserFields(x, 8, app.ownerID)
		x.close(6, "updatedBy")
		x.open(6, "comments")
		x.int(8, "count", 0)
		x.close(6, "comments")
	}
	x.date(6, "createdDate", app.created)
	x.date(6, "updatedDate", app.updated)
	x.close(4, "WebApp")
	x.maybeFlush()
}

func writeUserFields(x *xmlWriter, in int, id int64) {
	k := int(id % int64(len(owners)))
	x.text(in, "username", owners[k])
	x.text(in, "firstName", []string{"Ada", "Grace", "Alan"}[k])
	x.text(in, "lastName", []string{"Lovelace", "Hopper", "Turing"}[k])
}
