package sim

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

var hostListParams = []string{"action", "echo_request", "details", "truncation_limit", "ids", "id_min", "id_max", "ips", "ipv6",
	"ag_ids", "ag_titles", "network_ids", "vm_processed_after", "vm_processed_before", "vm_scan_since", "no_vm_scan_since",
	"vm_scan_date_before", "vm_scan_date_after", "vm_auth_scan_date_before", "vm_auth_scan_date_after", "os_pattern",
	"use_tags", "tag_set_by", "tag_include_selector", "tag_exclude_selector", "tag_set_include", "tag_set_exclude",
	"show_tags", "show_asset_id", "show_ars", "show_ars_factors", "ars_min", "ars_max", "show_trurisk", "show_trurisk_factors",
	"trurisk_min", "trurisk_max", "host_metadata", "host_metadata_fields", "show_cloud_tags", "cloud_tag_fields",
	"compliance_enabled", "output_format", "show_qds", "host_tracking_method"}

// hostFilter selects hosts for the host list and detection endpoints.
type hostFilter struct {
	ranges          []idRange
	idMin, idMax    int64
	processedAfter  int64
	processedBefore int64
	scanAfter       int64
	scanBefore      int64
	noScanSince     int64
	tags            tagFilter
	osPattern       *regexp.Regexp
	ips             []string
	provider        string // host_metadata: all, ec2, azure, google
	truriskMin      int64
	truriskMax      int64
}

// parseHostFilter reads the host selection parameters common to the host
// list and detection endpoints.
func parseHostFilter(p foParams) (hostFilter, *errFO) {
	f := hostFilter{idMax: 1<<63 - 1, truriskMax: 1000}
	var e *errFO
	if v := p.get("ids"); v != "" {
		if f.ranges, e = parseIDs("ids", v); e != nil {
			return f, e
		}
	}
	if f.idMin, e = p.intArg("id_min", 0); e != nil {
		return f, e
	}
	if f.idMax, e = p.intArg("id_max", 1<<63-1); e != nil {
		return f, e
	}
	for _, d := range []struct {
		name string
		dst  *int64
	}{{"vm_processed_after", &f.processedAfter}, {"vm_processed_before", &f.processedBefore},
		{"vm_scan_since", &f.scanAfter}, {"vm_scan_date_after", &f.scanAfter}, {"vm_scan_date_before", &f.scanBefore},
		{"no_vm_scan_since", &f.noScanSince}} {
		v, e := p.date(d.name)
		if e != nil {
			return f, e
		}
		if v != 0 {
			*d.dst = v
		}
	}
	if f.tags, e = p.tags(); e != nil {
		return f, e
	}
	if v := p.get("os_pattern"); v != "" {
		re, err := regexp.Compile(v)
		if err != nil {
			return f, invalid("os_pattern", v, "not a valid regular expression")
		}
		f.osPattern = re
	}
	f.ips = p.list("ips")
	switch v := p.get("host_metadata"); v {
	case "", "all", "ec2", "azure", "google":
		f.provider = v
	default:
		return f, invalid("host_metadata", v, "expected all, ec2, azure or google")
	}
	if f.truriskMin, e = p.intArg("trurisk_min", 0); e != nil {
		return f, e
	}
	if f.truriskMax, e = p.intArg("trurisk_max", 1000); e != nil {
		return f, e
	}
	return f, nil
}

// match applies the filters that need the host record.
func (f *hostFilter) match(h *host) bool {
	if f.processedAfter != 0 && h.processed <= f.processedAfter {
		return false
	}
	if f.processedBefore != 0 && h.processed >= f.processedBefore {
		return false
	}
	if f.scanAfter != 0 && h.lastScan < f.scanAfter {
		return false
	}
	if f.scanBefore != 0 && h.lastScan > f.scanBefore {
		return false
	}
	if f.noScanSince != 0 && h.lastScan >= f.noScanSince {
		return false
	}
	if !f.tags.match(h) {
		return false
	}
	if f.osPattern != nil && !f.osPattern.MatchString(h.os.name) {
		return false
	}
	if len(f.ips) > 0 && !ipMatch(f.ips, h.ip) {
		return false
	}
	if h.trurisk < int(f.truriskMin) || h.trurisk > int(f.truriskMax) {
		return false
	}
	switch f.provider {
	case "ec2":
		return h.kind != kindAzure && h.kind != kindGCP
	case "azure":
		return h.kind != kindEC2 && h.kind != kindGCP
	case "google":
		return h.kind != kindEC2 && h.kind != kindAzure
	}
	return true
}

func ipMatch(list []string, ip string) bool {
	for _, s := range list {
		if lo, hi, ok := strings.Cut(s, "-"); ok {
			if ipLess(lo, ip) <= 0 && ipLess(ip, hi) <= 0 {
				return true
			}
		} else if s == ip {
			return true
		}
	}
	return false
}

// ipLess compares dotted IPv4 addresses numerically.
func ipLess(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return len(pa) - len(pb)
}

// eachHost calls fn for every live host that passes the ID filters, in
// ascending ID order, until fn returns false.
func (w *world) eachHost(f *hostFilter, fn func(i int) bool) {
	total := w.hostTotal[w.epoch()]
	ranges := f.ranges
	if ranges == nil {
		ranges = []idRange{{1, 1<<63 - 1}}
	}
	for _, r := range ranges {
		lo, hi := max(r.lo, f.idMin), min(r.hi, f.idMax)
		if lo > hi {
			continue
		}
		for i := w.firstHostAtOrAbove(lo); i < total; i++ {
			if w.hostID(i) > hi {
				break
			}
			if !w.hostAlive(i) {
				continue
			}
			if !fn(i) {
				return
			}
		}
	}
}

// serveHostList answers GET/POST /api/2.0/fo/asset/host/?action=list.
func (s *Server) serveHostList(rc *reqCtx) int {
	p, e := rc.parseFO(hostListParams)
	if e != nil {
		return rc.foError(e.code, e.text)
	}
	f, e := parseHostFilter(p)
	if e != nil {
		return rc.foError(e.code, e.text)
	}
	details := p.get("details")
	if details == "" {
		details = "Basic"
	}
	switch details {
	case "None", "Basic", "Basic/AGs", "All", "All/AGs":
	default:
		return rc.foError(1905, "parameter details has invalid value: "+details)
	}
	limit, e := p.intArg("truncation_limit", 1000)
	if e != nil {
		return rc.foError(e.code, e.text)
	}
	show := map[string]bool{}
	for _, k := range []string{"show_tags", "show_asset_id", "show_ars", "show_ars_factors", "show_trurisk", "show_trurisk_factors", "show_cloud_tags", "echo_request"} {
		v, e := p.flag(k)
		if e != nil {
			return rc.foError(e.code, e.text)
		}
		show[k] = v
	}
	w := rc.world
	rc.startFO("application/xml")
	x := newXMLWriter(rc.out())
	const root = "HOST_LIST_OUTPUT"
	rc.foHeader(x, p, root, "/api/2.0/fo/asset/host/host_list_output.dtd")
	var n int64
	var next int64
	opened := false
	w.eachHost(&f, func(i int) bool {
		h := w.hostAt(i)
		if !f.match(&h) {
			return true
		}
		if limit > 0 && n == limit {
			next = h.id
			return false
		}
		if !opened {
			if details == "None" {
				x.open(4, "ID_SET")
			} else {
				x.open(4, "HOST_LIST")
			}
			opened = true
		}
		n++
		if details == "None" {
			x.int(6, "ID", h.id)
		} else {
			rc.writeListHost(x, &h, details, show, f.provider)
		}
		rc.record()
		x.maybeFlush()
		return x.err == nil
	})
	if opened {
		if details == "None" {
			x.close(4, "ID_SET")
		} else {
			x.close(4, "HOST_LIST")
		}
	}
	if next != 0 {
		rc.warning(x, p, limit, next)
	}
	if opened && details != "None" && details != "Basic" {
		writeGlossary(x, details)
	}
	rc.foFooter(x, root)
	x.flush()
	return http.StatusOK
}

var assetGroups = []struct {
	id    int64
	title string
}{{4011001, "All Datacenter Hosts"}, {4011002, "Cloud Workloads"}, {4011003, "PCI Scope"}, {4011004, "Workstations"}, {4011005, "Network Devices"}}

func (h *host) assetGroupIDs() []int64 {
	var out []int64
	if h.kind < kindEC2 {
		out = append(out, assetGroups[0].id)
	} else {
		out = append(out, assetGroups[1].id)
	}
	if h.hasTagNamed([]string{"PCI"}) {
		out = append(out, assetGroups[2].id)
	}
	if h.role == "ws" {
		out = append(out, assetGroups[3].id)
	}
	if h.os.fam == famNetwork {
		out = append(out, assetGroups[4].id)
	}
	return out
}

var owners = []string{"acme_ab12", "acme_cd34", "acme_ef56"}

func writeGlossary(x *xmlWriter, details string) {
	x.open(4, "GLOSSARY")
	if strings.HasPrefix(details, "All") {
		x.open(6, "USER_DEF")
		x.cdata(8, "LABEL_1", "Business Unit")
		x.cdata(8, "LABEL_2", "Cost Center")
		x.cdata(8, "LABEL_3", "Custom Attribute 3")
		x.close(6, "USER_DEF")
		x.open(6, "USER_LIST")
		for k, o := range owners {
			x.open(8, "USER")
			x.text(10, "USER_LOGIN", o)
			x.text(10, "FIRST_NAME", []string{"Ada", "Grace", "Alan"}[k])
			x.text(10, "LAST_NAME", []string{"Lovelace", "Hopper", "Turing"}[k])
			x.close(8, "USER")
		}
		x.close(6, "USER_LIST")
	}
	if strings.HasSuffix(details, "/AGs") {
		x.open(6, "ASSET_GROUP_LIST")
		for _, g := range assetGroups {
			x.open(8, "ASSET_GROUP")
			x.int(10, "ID", g.id)
			x.cdata(10, "TITLE", g.title)
			x.close(8, "ASSET_GROUP")
		}
		x.close(6, "ASSET_GROUP_LIST")
	}
	x.close(4, "GLOSSARY")
}

// writeListHost writes one HOST of the host list, in DTD order.
func (rc *reqCtx) writeListHost(x *xmlWriter, h *host, details string, show map[string]bool, provider string) {
	all := strings.HasPrefix(details, "All")
	x.open(6, "HOST")
	x.int(8, "ID", h.id)
	if show["show_asset_id"] {
		x.int(8, "ASSET_ID", h.assetID)
	}
	x.text(8, "IP", h.ip)
	if h.ipv6 != "" {
		x.text(8, "IPV6", h.ipv6)
	}
	if show["show_ars"] {
		x.int(8, "ASSET_RISK_SCORE", int64(h.trurisk))
	}
	if show["show_trurisk"] {
		x.int(8, "TRURISK_SCORE", int64(h.trurisk))
		x.int(8, "ASSET_CRITICALITY_SCORE", int64(h.acs))
	}
	if show["show_trurisk_factors"] || show["show_ars_factors"] {
		x.open(8, "TRURISK_SCORE_FACTORS")
		x.cdata(10, "TRURISK_SCORE_FORMULA", "ACS * (wc * Count_C * AVG_QDS_C + wh * Count_H * AVG_QDS_H + wm * Count_M * AVG_QDS_M + wl * Count_L * AVG_QDS_L)")
		for sev := 1; sev <= 5; sev++ {
			x.startTag(10, "VULN_COUNT qds_severity=\""+strconv.Itoa(sev)+"\"")
			x.buf = strconv.AppendInt(x.buf, int64((h.trurisk/(sev*37+1))%40), 10)
			x.endTag("VULN_COUNT")
		}
		x.close(8, "TRURISK_SCORE_FACTORS")
	}
	rc.writeHostIdentity(x, h, provider != "")
	if all {
		x.date(8, "LAST_BOOT", h.lastBoot)
		x.cdata(8, "SERIAL_NUMBER", h.serial)
		x.cdata(8, "HARDWARE_UUID", h.hwUUID)
		x.date(8, "FIRST_FOUND_DATE", h.created)
		x.date(8, "LAST_ACTIVITY", h.processed)
		if h.agentID != "" {
			x.cdata(8, "AGENT_STATUS", "Inventory Scan Complete")
			x.cdata(8, "CLOUD_AGENT_RUNNING_ON", "QAGENT")
		}
	}
	if show["show_tags"] {
		writeFOTags(x, h)
	}
	if provider != "" {
		writeMetadata(x, h, provider)
	}
	if show["show_cloud_tags"] {
		writeCloudTags(x, h)
	}
	x.date(8, "LAST_VULN_SCAN_DATETIME", h.lastScan)
	x.date(8, "LAST_VM_SCANNED_DATE", h.lastScan)
	if all {
		x.int(8, "LAST_VM_SCANNED_DURATION", int64(h.scanDuration))
	}
	if h.lastAuthScan != 0 {
		x.date(8, "LAST_VM_AUTH_SCANNED_DATE", h.lastAuthScan)
		if all {
			x.int(8, "LAST_VM_AUTH_SCANNED_DURATION", int64(h.scanDuration))
		}
	}
	if all && h.lastPCScan != 0 {
		x.date(8, "LAST_COMPLIANCE_SCAN_DATETIME", h.lastPCScan)
		x.date(8, "LAST_SCAP_SCAN_DATETIME", h.lastPCScan)
	}
	if all {
		x.text(8, "OWNER", owners[h.index%len(owners)])
		x.cdata(8, "COMMENTS", "Managed by the "+h.role+" team")
		x.open(8, "USER_DEF")
		x.cdata(10, "VALUE_1", strings.ToUpper(h.site))
		x.cdata(10, "VALUE_2", "CC-"+strconv.Itoa(1000+h.index%40))
		x.close(8, "USER_DEF")
	}
	if strings.HasSuffix(details, "/AGs") {
		ids := h.assetGroupIDs()
		var b strings.Builder
		for k, id := range ids {
			if k > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatInt(id, 10))
		}
		x.text(8, "ASSET_GROUP_IDS", b.String())
	}
	x.close(6, "HOST")
}

// writeHostIdentity writes TRACKING_METHOD through QG_HOSTID, shared by the
// host list and detection answers.
func (rc *reqCtx) writeHostIdentity(x *xmlWriter, h *host, cloudFields bool) {
	x.text(8, "TRACKING_METHOD", h.foTracking())
	x.int(8, "NETWORK_ID", 0)
	x.cdata(8, "OS", h.os.name)
	x.cdata(8, "OS_CPE", h.os.cpe)
	x.cdata(8, "DNS", h.fqdn())
	x.open(8, "DNS_DATA")
	x.cdata(10, "HOSTNAME", h.hostname)
	x.cdata(10, "DOMAIN", h.domain)
	x.cdata(10, "FQDN", h.fqdn())
	x.close(8, "DNS_DATA")
	if cloudFields {
		if provider := h.cloudProvider(); provider != "" {
			service, resource := "EC2", h.instanceID
			switch h.kind {
			case kindAzure:
				service, resource = "VM", h.vmID
			case kindGCP:
				service = "COMPUTE"
			}
			x.text(8, "CLOUD_PROVIDER", provider)
			x.text(8, "CLOUD_SERVICE", service)
			x.text(8, "CLOUD_RESOURCE_ID", resource)
		}
	}
	if h.kind == kindEC2 {
		x.text(8, "EC2_INSTANCE_ID", h.instanceID)
	}
	x.cdata(8, "NETBIOS", h.netbios)
	if h.agentID != "" {
		x.cdata(8, "QG_HOSTID", h.agentID)
	}
}

func writeFOTags(x *xmlWriter, h *host) {
	x.open(8, "TAGS")
	for _, t := range h.tags {
		d := &tagTable[t]
		x.open(10, "TAG")
		x.int(12, "TAG_ID", d.id)
		x.cdata(12, "NAME", d.name)
		x.text(12, "COLOR", d.color)
		x.text(12, "BACKGROUND_COLOR", "#FFFFFF")
		x.close(10, "TAG")
	}
	x.close(8, "TAGS")
}

func writeMetadata(x *xmlWriter, h *host, provider string) {
	var block string
	var attrs [][2]string
	switch h.kind {
	case kindEC2:
		block = "EC2"
		attrs = [][2]string{{"latest/meta-data/instance-id", h.instanceID}, {"latest/meta-data/instance-type", h.instanceType},
			{"latest/meta-data/placement/availability-zone", h.zone}, {"latest/meta-data/local-ipv4", h.privateIP},
			{"latest/meta-data/ami-id", h.imageID}, {"latest/dynamic/instance-identity/document/accountId", h.accountID},
			{"latest/dynamic/instance-identity/document/region", h.region}}
	case kindAzure:
		block = "AZURE"
		attrs = [][2]string{{"compute/vmId", h.vmID}, {"compute/location", h.region}, {"compute/vmSize", h.vmSize},
			{"compute/subscriptionId", h.subscriptionID}, {"compute/resourceGroupName", h.resourceGroup},
			{"network/interface/0/ipv4/ipAddress/0/privateIpAddress", h.privateIP}}
	case kindGCP:
		block = "GOOGLE"
		attrs = [][2]string{{"instance/id", h.instanceID}, {"instance/zone", "projects/" + h.projectNo + "/zones/" + h.zone},
			{"instance/machine-type", h.machineType}, {"project/project-id", h.projectID},
			{"instance/network-interfaces/0/ip", h.privateIP}}
	default:
		return
	}
	if provider != "all" && !strings.EqualFold(provider, map[hostKind]string{kindEC2: "ec2", kindAzure: "azure", kindGCP: "google"}[h.kind]) {
		return
	}
	x.open(8, "METADATA")
	x.open(10, block)
	for _, a := range attrs {
		x.open(12, "ATTRIBUTE")
		x.text(14, "NAME", a[0])
		x.text(14, "LAST_STATUS", "Success")
		x.text(14, "VALUE", a[1])
		x.date(14, "LAST_SUCCESS_DATE", h.lastScan)
		x.close(12, "ATTRIBUTE")
	}
	x.close(10, block)
	x.close(8, "METADATA")
}

func writeCloudTags(x *xmlWriter, h *host) {
	if len(h.cloudTags) == 0 {
		return
	}
	x.open(8, "CLOUD_PROVIDER_TAGS")
	for _, t := range h.cloudTags {
		x.open(10, "CLOUD_TAG")
		x.text(12, "NAME", t[0])
		x.text(12, "VALUE", t[1])
		x.date(12, "LAST_SUCCESS_DATE", h.lastScan)
		x.close(10, "CLOUD_TAG")
	}
	x.close(8, "CLOUD_PROVIDER_TAGS")
}
