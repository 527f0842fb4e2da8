package sim

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

var detectionParams = []string{"action", "echo_request", "ids", "id_min", "id_max", "ips", "ipv6", "ag_ids", "ag_titles",
	"network_ids", "truncation_limit", "output_format", "suppress_duplicated_data_from_csv", "max_days_since_detection_updated",
	"detection_updated_since", "detection_updated_before", "detection_processed_before", "detection_processed_after",
	"detection_last_tested_since", "detection_last_tested_since_days", "detection_last_tested_before",
	"detection_last_tested_before_days", "include_ignored", "include_disabled", "vm_processed_after", "vm_processed_before",
	"vm_scan_since", "no_vm_scan_since", "vm_scan_date_before", "vm_scan_date_after", "vm_auth_scan_date_before",
	"vm_auth_scan_date_after", "os_pattern", "qids", "severities", "show_igs", "include_search_list_titles",
	"exclude_search_list_titles", "include_search_list_ids", "exclude_search_list_ids", "include_vuln_type", "status",
	"compliance_enabled", "show_results", "show_reopened_info", "active_kernels_only", "show_tags", "use_tags",
	"tag_set_by", "tag_include_selector", "tag_exclude_selector", "tag_set_include", "tag_set_exclude", "show_qds",
	"qds_min", "qds_max", "show_qds_factors", "show_asset_id", "host_metadata", "host_metadata_fields", "show_cloud_tags",
	"cloud_tag_fields", "arf_kernel_filter", "arf_service_filter", "arf_config_filter", "show_arf_data", "arf_filter_keys",
	"filter_superseded_qids", "host_tracking_method", "show_ars", "show_trurisk"}

// detectionQuery is the parsed detection request.
type detectionQuery struct {
	hosts          hostFilter
	limit          int64
	statuses       [4]bool
	severities     [6]bool
	qids           []idRange
	types          map[string]bool
	updatedSince   int64
	updatedBefore  int64
	lastTestSince  int64
	lastTestBefore int64
	includeIgnored bool
	includeDisable bool
	qdsMin, qdsMax int64
	show           map[string]bool
	arf            bool
}

func parseDetectionQuery(p foParams) (detectionQuery, *errFO) {
	q := detectionQuery{show: map[string]bool{}}
	var e *errFO
	if q.hosts, e = parseHostFilter(p); e != nil {
		return q, e
	}
	if q.limit, e = p.intArg("truncation_limit", 1000); e != nil {
		return q, e
	}
	for _, k := range []string{"show_igs", "show_results", "show_tags", "show_qds", "show_qds_factors", "show_reopened_info",
		"show_asset_id", "show_cloud_tags", "include_ignored", "include_disabled", "show_arf_data", "echo_request"} {
		v, e := p.flag(k)
		if e != nil {
			return q, e
		}
		q.show[k] = v
	}
	q.includeIgnored, q.includeDisable = q.show["include_ignored"], q.show["include_disabled"]
	q.arf = q.show["show_arf_data"] || p.has("arf_kernel_filter") || p.has("arf_service_filter") || p.has("arf_config_filter")
	if st := p.list("status"); st != nil {
		for _, s := range st {
			i := slices.Index(statusNames[:], s)
			if i < 0 {
				return q, invalid("status", p.get("status"), "expected New, Active, Fixed or Re-Opened")
			}
			q.statuses[i] = true
		}
	} else {
		q.statuses = [4]bool{true, true, false, true}
	}
	if sv := p.get("severities"); sv != "" {
		rs, e := parseIDs("severities", sv)
		if e != nil {
			return q, e
		}
		for _, r := range rs {
			if r.hi > 5 {
				return q, invalid("severities", sv, "severities are 1 to 5")
			}
			for v := r.lo; v <= r.hi; v++ {
				q.severities[v] = true
			}
		}
	} else {
		q.severities = [6]bool{false, true, true, true, true, true}
	}
	if v := p.get("qids"); v != "" {
		if q.qids, e = parseIDs("qids", v); e != nil {
			return q, e
		}
	}
	q.types = map[string]bool{"Confirmed": true, "Potential": true, "Info": q.show["show_igs"]}
	switch v := p.get("include_vuln_type"); v {
	case "":
	case "confirmed":
		q.types = map[string]bool{"Confirmed": true, "Info": q.show["show_igs"]}
	case "potential":
		q.types = map[string]bool{"Potential": true, "Info": q.show["show_igs"]}
	default:
		return q, invalid("include_vuln_type", v, "expected confirmed or potential")
	}
	dates := []struct {
		name string
		dst  *int64
	}{{"detection_updated_since", &q.updatedSince}, {"detection_updated_before", &q.updatedBefore},
		{"detection_processed_after", &q.updatedSince}, {"detection_processed_before", &q.updatedBefore},
		{"detection_last_tested_since", &q.lastTestSince}, {"detection_last_tested_before", &q.lastTestBefore}}
	for _, d := range dates {
		v, e := p.date(d.name)
		if e != nil {
			return q, e
		}
		if v != 0 {
			*d.dst = v
		}
	}
	if days, e := p.intArg("max_days_since_detection_updated", -1); e != nil {
		return q, e
	} else if days >= 0 {
		q.updatedSince = -days // resolved against the clock in matches
	}
	if q.qdsMin, e = p.intArg("qds_min", 0); e != nil {
		return q, e
	}
	if q.qdsMax, e = p.intArg("qds_max", 100); e != nil {
		return q, e
	}
	return q, nil
}

func (q *detectionQuery) matches(d *detection, now int64) bool {
	if !q.statuses[d.status] || !q.severities[d.severity] || !q.types[d.typ] {
		return false
	}
	if d.ignored && !q.includeIgnored || d.disabled && !q.includeDisable {
		return false
	}
	since := q.updatedSince
	if since < 0 {
		since = now + since*86400
	}
	if since != 0 && d.lastUpdate < since {
		return false
	}
	if q.updatedBefore != 0 && d.lastUpdate > q.updatedBefore {
		return false
	}
	if q.lastTestSince != 0 && d.lastTest < q.lastTestSince || q.lastTestBefore != 0 && d.lastTest > q.lastTestBefore {
		return false
	}
	if int64(d.qds) < q.qdsMin || int64(d.qds) > q.qdsMax {
		return false
	}
	if q.qids != nil {
		in := false
		for _, r := range q.qids {
			if int64(d.qid) >= r.lo && int64(d.qid) <= r.hi {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	return true
}

// serveDetections answers /api/2.0/fo/asset/host/vm/detection/.
func (s *Server) serveDetections(rc *reqCtx) int {
	p, e := rc.parseFO(detectionParams)
	if e != nil {
		return rc.foError(e.code, e.text)
	}
	q, e := parseDetectionQuery(p)
	if e != nil {
		return rc.foError(e.code, e.text)
	}
	w := rc.world
	now := w.now()
	rc.startFO("application/xml")
	x := newXMLWriter(rc.out())
	const root = "HOST_LIST_VM_DETECTION_OUTPUT"
	rc.foHeader(x, p, root, "/api/2.0/fo/asset/host/vm/detection/host_list_vm_detection_output.dtd")
	var n, next int64
	opened := false
	matched := make([]detection, 0, 256)
	corruptLeft := -1
	if rc.corrupt {
		corruptLeft = int(hashOf(s.seed, tagFault, 11, uint64(rc.reqNo)) % 40)
	}
	keepAlive := s.opts.KeepAliveEvery
	w.eachHost(&q.hosts, func(i int) bool {
		h := w.hostAt(i)
		if !q.hosts.match(&h) {
			return true
		}
		plan := w.plan(&h)
		matched = matched[:0]
		total := plan.total()
		for j := range total {
			matched = append(matched, detection{})
			d := &matched[len(matched)-1]
			w.detectionAt(&h, &plan, j, d)
			if !q.matches(d, now) {
				matched = matched[:len(matched)-1]
			}
		}
		if len(matched) == 0 {
			return true
		}
		if q.limit > 0 && n == q.limit {
			next = h.id
			return false
		}
		if !opened {
			x.open(4, "HOST_LIST")
			opened = true
		}
		n++
		if keepAlive > 0 && n%int64(keepAlive) == 0 {
			x.raw("<!-- keep-alive for " + root + "  -->\n")
		}
		rc.writeDetectionHost(x, &h, matched, &q, &corruptLeft)
		return x.err == nil
	})
	if opened {
		x.close(4, "HOST_LIST")
	}
	if next != 0 {
		rc.warning(x, p, q.limit, next)
	}
	rc.foFooter(x, root)
	x.flush()
	return http.StatusOK
}

// writeDetectionHost writes one HOST with its DETECTION_LIST.
func (rc *reqCtx) writeDetectionHost(x *xmlWriter, h *host, ds []detection, q *detectionQuery, corruptLeft *int) {
	x.open(6, "HOST")
	x.int(8, "ID", h.id)
	if q.show["show_asset_id"] {
		x.int(8, "ASSET_ID", h.assetID)
	}
	x.text(8, "IP", h.ip)
	if h.ipv6 != "" {
		x.text(8, "IPV6", h.ipv6)
	}
	rc.writeHostIdentity(x, h, q.hosts.provider != "")
	x.date(8, "LAST_SCAN_DATETIME", h.processed)
	x.date(8, "LAST_VM_SCANNED_DATE", h.lastScan)
	x.int(8, "LAST_VM_SCANNED_DURATION", int64(h.scanDuration))
	if h.lastAuthScan != 0 {
		x.date(8, "LAST_VM_AUTH_SCANNED_DATE", h.lastAuthScan)
		x.int(8, "LAST_VM_AUTH_SCANNED_DURATION", int64(h.scanDuration))
	}
	if h.lastPCScan != 0 {
		x.date(8, "LAST_PC_SCANNED_DATE", h.lastPCScan)
	}
	if q.show["show_tags"] {
		writeFOTags(x, h)
	}
	if q.hosts.provider != "" {
		writeMetadata(x, h, q.hosts.provider)
	}
	if q.show["show_cloud_tags"] {
		writeCloudTags(x, h)
	}
	x.open(8, "DETECTION_LIST")
	for k := range ds {
		d := &ds[k]
		corrupt := false
		if *corruptLeft >= 0 {
			if *corruptLeft == 0 || k == len(ds)-1 {
				corrupt = true
				*corruptLeft = -2
			} else {
				*corruptLeft--
			}
		}
		rc.writeDetection(x, h, d, q, corrupt)
		rc.record()
	}
	x.close(8, "DETECTION_LIST")
	x.close(6, "HOST")
}

func (rc *reqCtx) writeDetection(x *xmlWriter, h *host, d *detection, q *detectionQuery, corrupt bool) {
	const in = 12
	x.open(10, "DETECTION")
	x.int(in, "UNIQUE_VULN_ID", d.uniqueID)
	if corrupt {
		x.startTag(in, "QID")
		x.buf = strconv.AppendInt(x.buf, int64(d.qid/10), 10)
		x.buf = append(x.buf, garbage...)
		x.endTag("QID")
	} else {
		x.int(in, "QID", int64(d.qid))
	}
	x.text(in, "TYPE", d.typ)
	x.int(in, "SEVERITY", int64(d.severity))
	if d.port != 0 {
		x.int(in, "PORT", int64(d.port))
		x.text(in, "PROTOCOL", d.protocol)
	}
	if d.fqdn != "" {
		x.text(in, "FQDN", d.fqdn)
	}
	x.b01(in, "SSL", d.ssl)
	if d.instance != "" {
		x.text(in, "INSTANCE", d.instance)
	}
	if q.show["show_results"] {
		x.startTag(in, "RESULTS")
		x.buf = append(x.buf, "<![CDATA["...)
		x.buf = appendResults(x.buf, rc.world.seed, h, d)
		x.buf = append(x.buf, "]]>"...)
		x.endTag("RESULTS")
	}
	x.text(in, "STATUS", statusNames[d.status])
	x.date(in, "FIRST_FOUND_DATETIME", d.firstFound)
	x.date(in, "LAST_FOUND_DATETIME", d.lastFound)
	if q.show["show_qds"] {
		x.startTag(in, "QDS severity=\""+qdsBand(d.qds)+"\"")
		x.buf = strconv.AppendInt(x.buf, int64(d.qds), 10)
		x.endTag("QDS")
	}
	if q.show["show_qds_factors"] {
		rc.writeQDSFactors(x, d)
	}
	x.int(in, "TIMES_FOUND", int64(d.timesFound))
	x.date(in, "LAST_TEST_DATETIME", d.lastTest)
	x.date(in, "LAST_UPDATE_DATETIME", d.lastUpdate)
	if d.lastFixed != 0 {
		x.date(in, "LAST_FIXED_DATETIME", d.lastFixed)
	}
	if q.show["show_reopened_info"] && d.timesReopened > 0 {
		x.date(in, "FIRST_REOPENED_DATETIME", d.firstReopened)
		x.date(in, "LAST_REOPENED_DATETIME", d.lastReopened)
		x.int(in, "TIMES_REOPENED", int64(d.timesReopened))
	}
	if d.service != "" {
		x.text(in, "SERVICE", d.service)
	}
	x.b01(in, "IS_IGNORED", d.ignored)
	x.b01(in, "IS_DISABLED", d.disabled)
	if q.arf && d.arfKernel >= 0 {
		x.b01(in, "AFFECT_RUNNING_KERNEL", d.arfKernel == 1)
		x.b01(in, "AFFECT_RUNNING_SERVICE", d.arfService == 1)
		x.b01(in, "AFFECT_EXPLOITABLE_CONFIG", d.arfConfig == 1)
	}
	x.date(in, "LAST_PROCESSED_DATETIME", d.lastProcessed)
	x.close(10, "DETECTION")
}

func qdsBand(v int) string {
	switch {
	case v >= 90:
		return "CRITICAL"
	case v >= 70:
		return "HIGH"
	case v >= 40:
		return "MEDIUM"
	}
	return "LOW"
}

func (rc *reqCtx) writeQDSFactors(x *xmlWriter, d *detection) {
	v := rc.s.kb.facts(d.kbPos)
	x.open(12, "QDS_FACTORS")
	factor := func(name, value string) {
		x.startTag(14, "QDS_FACTOR name=\""+name+"\"")
		x.buf = appendCDATA(x.buf, value)
		x.endTag("QDS_FACTOR")
	}
	if v.cvss3Base > 0 {
		factor("CVSS", string(appendTenths(nil, v.cvss3Base)))
		factor("CVSS_version", "v3.x")
		factor("CVSS_vector", strings.TrimPrefix(v.cvss3Vector, "CVSS:"+v.cvss3Version+"/"))
	}
	factor("epss", "0.0"+strconv.Itoa(1000+d.qds*37%9000))
	if len(v.threats) > 0 {
		var rti []string
		for _, t := range v.threats {
			rti = append(rti, strings.ToLower(threatIntel[t].label))
		}
		factor("RTI", strings.Join(rti, ","))
	}
	if v.exploits > 0 {
		factor("exploit_maturity", "poc")
	}
	if slices.Contains(v.threats, 17) {
		factor("CISA_vuln", "YES")
	}
	x.close(12, "QDS_FACTORS")
}

var resultTemplates = []string{
	"Type\tName\nkey exchange\tdiffie-hellman-group1-sha1",
	"Certificate #0 CN=%h doesn&apos;t resolve",
	"CIPHER KEY-EXCHANGE AUTHENTICATION\nMAC ENCRYPTION(KEY-STRENGTH)\nGRADE TLSv1 WITH RC4 CIPHERs IS SUPPORTED\nRC4-SHA RSA RSA SHA1 RC4(128) MEDIUM",
	"Vulnerable version of %p detected on port %o.\nInstalled version: %v\nFixed version: %f",
	"%%SystemRoot%%\\system32\\ntoskrnl.exe  Version is  10.0.17763.%v",
	"Package\tInstalled Version\tRequired Version\n%p\t%v\t%f",
	"Server: Apache/2.4.%v (Unix)\nX-Powered-By: PHP/7.%v",
	"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WinRM\\Service AllowBasic = 1",
}

// appendResults appends the scanner evidence of a detection.
// One Info detection in twenty carries an inventory listing of a few
// hundred lines, as "installed software" QIDs do, so clients meet RESULTS
// of several kilobytes.
func appendResults(b []byte, seed uint64, h *host, d *detection) []byte {
	r := newRNG(hashOf(seed, tagSlot, uint64(h.index), uint64(d.slot), 3))
	if d.typ == "Info" && r.intn(20) == 0 {
		b = append(b, "Name\tVersion\tInstall Date\n"...)
		for k := range r.between(100, 400) {
			b = append(b, "package-"...)
			b = strconv.AppendInt(b, int64(k), 10)
			b = append(b, '\t')
			b = strconv.AppendInt(b, int64(r.intn(20)), 10)
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(r.intn(100)), 10)
			b = append(b, '\t')
			b = appendDate(b, d.firstFound-int64(r.intn(400*86400)))
			b = append(b, '\n')
		}
		return b
	}
	t := resultTemplates[r.intn(len(resultTemplates))]
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c != '%' || i+1 == len(t) {
			b = append(b, c)
			continue
		}
		i++
		switch t[i] {
		case 'h':
			b = append(b, h.hostname...)
		case 'p':
			b = append(b, "pkg-"...)
			b = strconv.AppendInt(b, int64(d.qid%997), 10)
		case 'o':
			b = strconv.AppendInt(b, int64(d.port), 10)
		case 'v':
			b = strconv.AppendInt(b, int64(r.intn(900)+10), 10)
		case 'f':
			b = strconv.AppendInt(b, int64(r.intn(900)+1000), 10)
		default:
			b = append(b, t[i])
		}
	}
	return b
}
