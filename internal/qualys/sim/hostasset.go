package sim

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

var hostAssetFields = map[string]fieldKind{
	"id": fieldLong, "qwebHostId": fieldLong, "name": fieldString, "dnsHostName": fieldString, "netbiosName": fieldString,
	"address": fieldString, "os": fieldString, "trackingMethod": fieldString, "tagName": fieldString, "tagId": fieldLong,
	"lastVulnScan": fieldDate, "lastComplianceScan": fieldDate, "created": fieldDate, "updated": fieldDate,
	"modified": fieldDate, "type": fieldString, "fqdn": fieldString, "sourceInfo.type": fieldString,
	"isDockerHost": fieldBool, "informationGatheredUpdated": fieldDate, "vulnsUpdated": fieldDate,
}

// assetField returns host h's value for a criterion field.
func assetField(h *host, field string) fieldValue {
	switch field {
	case "id":
		return fieldValue{kind: fieldLong, n: h.assetID}
	case "qwebHostId":
		return fieldValue{kind: fieldLong, n: h.id}
	case "name":
		return fieldValue{s: h.assetName()}
	case "dnsHostName", "fqdn":
		return fieldValue{s: h.fqdn()}
	case "netbiosName":
		return fieldValue{s: h.netbios}
	case "address":
		return fieldValue{s: h.ip}
	case "os":
		return fieldValue{s: h.os.amOS}
	case "trackingMethod":
		return fieldValue{s: h.amTracking()}
	case "type":
		return fieldValue{s: "HOST"}
	case "tagName":
		var names []string
		for _, t := range h.tags {
			names = append(names, tagTable[t].name)
		}
		return fieldValue{many: names}
	case "tagId":
		var ids []string
		for _, t := range h.tags {
			ids = append(ids, strconv.FormatInt(tagTable[t].id, 10))
		}
		return fieldValue{many: ids}
	case "lastVulnScan", "vulnsUpdated", "informationGatheredUpdated":
		return fieldValue{kind: fieldDate, n: h.lastScan}
	case "lastComplianceScan":
		return fieldValue{kind: fieldDate, n: h.lastPCScan}
	case "created":
		return fieldValue{kind: fieldDate, n: h.created}
	case "updated", "modified":
		return fieldValue{kind: fieldDate, n: h.processed}
	case "sourceInfo.type":
		return fieldValue{s: map[hostKind]string{kindEC2: "EC_2", kindAzure: "AZURE", kindGCP: "GCP"}[h.kind]}
	case "isDockerHost":
		return fieldValue{kind: fieldBool, s: strconv.FormatBool(h.isDocker())}
	}
	return fieldValue{}
}

func (h *host) assetName() string {
	switch h.kind {
	case kindEC2:
		return h.instanceID
	case kindScanner:
		return h.ip
	}
	return h.hostname
}

func (h *host) isDocker() bool { return h.os.fam == famLinux && h.role == "k8s-node" }

// serveHostAssets answers POST /qps/rest/2.0/search/am/hostasset.
func (s *Server) serveHostAssets(rc *reqCtx) int {
	q, fail := rc.parseServiceRequest(hostAssetFields)
	if fail != nil {
		return rc.qpsError(fail.code, fail.message, fail.resolution)
	}
	w := rc.world
	total := w.hostTotal[w.epoch()]
	// Candidate slots: from qwebHostId/id EQUALS|IN criteria when given,
	// otherwise every slot from the first asset ID after the cursor.
	var candidates []int
	restricted := false
	for _, c := range q.crit {
		if c.Operator != "EQUALS" && c.Operator != "IN" {
			continue
		}
		var set []int
		for _, v := range strings.Split(c.Value, ",") {
			id, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			switch c.Field {
			case "qwebHostId":
				if i := w.hostIndexOfID(id); i >= 0 {
					set = append(set, i)
				}
			case "id":
				if i := w.hostIndexOfAssetID(id); i >= 0 {
					set = append(set, i)
				}
			default:
				continue
			}
		}
		if c.Field == "qwebHostId" || c.Field == "id" {
			if restricted {
				set = intersect(candidates, set)
			}
			candidates, restricted = set, true
		}
	}
	if restricted {
		sortInts(candidates)
		candidates = dedupe(candidates)
		q.crit = dropIDMatches(q.crit, "qwebHostId", "id")
	}
	start := 0
	for _, c := range q.crit {
		if c.Field == "id" && c.Operator == "GREATER" {
			id, _ := strconv.ParseInt(c.Value, 10, 64)
			start = max(start, w.firstAssetAbove(id))
		}
	}
	if q.startID > 0 {
		start = max(start, w.firstAssetAbove(q.startID-1))
	}
	next := func(k int) (int, bool) { // k-th candidate at or after start
		if restricted {
			if k < len(candidates) {
				return candidates[k], true
			}
			return 0, false
		}
		if start+k < total {
			return start + k, true
		}
		return 0, false
	}
	var page []host
	skipped := 0
	more := false
	for k := 0; ; k++ {
		i, ok := next(k)
		if !ok {
			break
		}
		if i < start || !w.hostAlive(i) {
			continue
		}
		h := w.hostAt(i)
		if !matchAll(q.crit, func(f string) fieldValue { return assetField(&h, f) }) {
			continue
		}
		if skipped < q.offset-1 {
			skipped++
			continue
		}
		if len(page) == q.limit {
			more = true
			break
		}
		page = append(page, h)
	}
	x := newXMLWriter(rc.out())
	rc.qpsStart(x)
	var lastID int64
	if len(page) > 0 {
		lastID = page[len(page)-1].assetID
	}
	qpsPage(x, len(page), more, lastID)
	if len(page) > 0 {
		x.open(2, "data")
		for k := range page {
			rc.writeHostAsset(x, &page[k], k == 0 && rc.corrupt)
			rc.record()
			if x.err != nil {
				break
			}
		}
		x.close(2, "data")
	}
	x.close(0, "ServiceResponse")
	x.flush()
	return http.StatusOK
}

func matchAll(crit []criterion, value func(string) fieldValue) bool {
	for _, c := range crit {
		if !matchCriterion(c, value(c.Field)) {
			return false
		}
	}
	return true
}

// dropIDMatches removes the EQUALS and IN criteria on the given fields: the
// candidate list built from them already satisfies them, and checking a
// 250-value IN list per record again would cost more than the record.
func dropIDMatches(crit []criterion, fields ...string) []criterion {
	var out []criterion
	for _, c := range crit {
		if (c.Operator == "EQUALS" || c.Operator == "IN") && slices.Contains(fields, c.Field) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func intersect(a, b []int) []int {
	in := map[int]bool{}
	for _, v := range a {
		in[v] = true
	}
	var out []int
	for _, v := range b {
		if in[v] {
			out = append(out, v)
		}
	}
	return out
}

func dedupe(s []int) []int {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

var softwareByFamily = [famCount][][2]string{
	famGeneric: {{"Google Chrome", "123.0.6312.86"}, {"Mozilla Firefox", "124.0.2"}, {"Zoom", "5.17.11"}, {"Slack", "4.36.140"}},
	famWindows: {{"Microsoft Edge", "123.0.2420.65"}, {"Microsoft Office 365 ProPlus", "16.0.17328.20184"}, {"7-Zip 23.01 (x64)", "23.01"},
		{"Microsoft Visual C++ 2019 X64 Minimum Runtime", "14.29.30139"}, {"Notepad++ (64-bit x64)", "8.6.4"}, {"Java 8 Update 401 (64-bit)", "8.0.4010.10"},
		{"Microsoft SQL Server 2019", "15.0.2000.5"}, {"VMware Tools", "12.3.5.22544099"}, {"Qualys Cloud Security Agent", "5.1.0.25"}},
	famLinux: {{"openssl", "1.1.1f-1ubuntu2.22"}, {"openssh-server", "1:8.2p1-4ubuntu0.11"}, {"bash", "5.0-6ubuntu1.2"}, {"sudo", "1.8.31-1ubuntu1.5"},
		{"curl", "7.68.0-1ubuntu2.21"}, {"python3", "3.8.2-0ubuntu2"}, {"nginx", "1.18.0-0ubuntu1.4"}, {"docker-ce", "24.0.7-1~ubuntu.20.04~focal"},
		{"libc6", "2.31-0ubuntu9.14"}, {"systemd", "245.4-4ubuntu3.23"}, {"qualys-cloud-agent", "6.1.0-28"}},
	famNetwork: {{"Cisco IOS XE", "17.3.4"}},
}

// writeHostAsset writes one HostAsset, the way Asset Management 2.0 does.
func (rc *reqCtx) writeHostAsset(x *xmlWriter, h *host, corrupt bool) {
	w := rc.world
	r := newRNG(hashOf(w.seed, tagHost, uint64(h.index), 5))
	x.open(4, "HostAsset")
	if corrupt {
		x.startTag(6, "id")
		x.buf = strconv.AppendInt(x.buf, h.assetID/10, 10)
		x.buf = append(x.buf, garbage...)
		x.endTag("id")
	} else {
		x.int(6, "id", h.assetID)
	}
	x.text(6, "name", h.assetName())
	x.date(6, "created", h.created)
	x.date(6, "modified", h.processed)
	x.text(6, "type", "HOST")
	x.open(6, "tags")
	x.open(8, "list")
	for _, t := range h.tags {
		x.open(10, "TagSimple")
		x.int(12, "id", tagTable[t].id)
		x.text(12, "name", tagTable[t].name)
		x.close(10, "TagSimple")
	}
	x.close(8, "list")
	x.close(6, "tags")
	x.open(6, "sourceInfo")
	x.open(8, "list")
	rc.writeSource(x, h)
	x.close(8, "list")
	x.close(6, "sourceInfo")
	x.int(6, "qwebHostId", h.id)
	x.date(6, "lastVulnScan", h.lastScan)
	x.date(6, "vulnsUpdated", h.processed)
	x.date(6, "informationGatheredUpdated", h.processed)
	if h.lastPCScan != 0 {
		x.date(6, "lastComplianceScan", h.lastPCScan)
	}
	x.date(6, "lastSystemBoot", h.lastBoot)
	if h.os.fam == famWindows {
		x.text(6, "lastLoggedOnUser", "CORP\\"+pick(&r, []string{"jdoe", "asmith", "svc_backup", "administrator"}))
	}
	x.text(6, "fqdn", h.fqdn())
	x.text(6, "os", h.os.amOS)
	x.text(6, "dnsHostName", h.fqdn())
	if h.agentID != "" {
		rc.writeAgentInfo(x, h, &r)
	}
	x.text(6, "netbiosName", h.netbios)
	x.int(6, "netbiosNetworkId", 10+int64(h.index%5))
	x.text(6, "networkGuid", uuidOf(&r))
	x.text(6, "address", h.ip)
	x.text(6, "trackingMethod", h.amTracking())
	manufacturer, model := h.hardware()
	x.text(6, "manufacturer", manufacturer)
	x.text(6, "model", model)
	x.int(6, "totalMemory", int64(h.memoryMB))
	x.text(6, "timezone", pick(&r, []string{"+00:00", "-05:00", "+01:00", "+05:30"}))
	x.text(6, "biosDescription", pick(&r, []string{"Amazon EC2 1.0 10/16/2017", "Dell Inc. 2.19.1 06/06/2023", "Hyper-V UEFI Release v4.1", "Google 01/01/2011"}))
	if provider := h.cloudProvider(); provider != "" {
		x.text(6, "cloudProvider", provider)
	}
	x.int(6, "criticalityScore", int64(h.acs))
	x.text(6, "domain", h.domain)
	x.text(6, "hostname", h.hostname)
	// Lists.
	x.open(6, "openPort")
	x.open(8, "list")
	for k := range r.between(1, 5) {
		cp := commonPorts[(h.index+k*3)%len(commonPorts)]
		x.open(10, "HostAssetOpenPort")
		x.int(12, "port", int64(cp.port))
		x.text(12, "protocol", strings.ToUpper(cp.proto))
		x.int(12, "serviceId", int64(1+cp.port%50))
		x.text(12, "serviceName", cp.svc)
		x.close(10, "HostAssetOpenPort")
	}
	x.close(8, "list")
	x.close(6, "openPort")
	x.open(6, "software")
	if h.agentID != "" {
		x.open(8, "list")
		sw := append(append([][2]string(nil), softwareByFamily[h.os.fam]...), softwareByFamily[famGeneric]...)
		for _, s := range sw {
			x.open(10, "HostAssetSoftware")
			x.text(12, "name", s[0])
			x.text(12, "version", s[1])
			x.close(10, "HostAssetSoftware")
		}
		x.close(8, "list")
	} else {
		x.empty(8, "list")
	}
	x.close(6, "software")
	x.open(6, "vuln")
	if h.agentID != "" {
		x.open(8, "list")
		plan := w.plan(h)
		var d detection
		for j := range min(plan.total(), 60) {
			w.detectionAt(h, &plan, j, &d)
			if d.status == stFixed {
				continue
			}
			x.open(10, "HostAssetVuln")
			x.int(12, "qid", int64(d.qid))
			x.int(12, "hostInstanceVulnId", d.uniqueID)
			x.date(12, "firstFound", d.firstFound)
			x.date(12, "lastFound", d.lastFound)
			x.close(10, "HostAssetVuln")
		}
		x.close(8, "list")
	} else {
		x.empty(8, "list")
	}
	x.close(6, "vuln")
	x.open(6, "processor")
	x.open(8, "list")
	x.open(10, "HostAssetProcessor")
	x.text(12, "name", h.cpuName)
	x.int(12, "speed", int64(h.cpuMHz))
	x.close(10, "HostAssetProcessor")
	x.close(8, "list")
	x.close(6, "processor")
	x.open(6, "volume")
	x.open(8, "list")
	vols := []string{"/", "/var"}
	if h.os.fam == famWindows {
		vols = []string{"C:", "D:"}
	}
	for _, v := range vols {
		size := int64(r.between(20, 500)) * 1 << 30
		x.open(10, "HostAssetVolume")
		x.text(12, "name", v)
		x.int(12, "size", size)
		x.int(12, "free", size/int64(r.between(2, 9)))
		x.close(10, "HostAssetVolume")
	}
	x.close(8, "list")
	x.close(6, "volume")
	x.open(6, "account")
	x.open(8, "list")
	accounts := []string{"root", "ec2-user"}
	if h.os.fam == famWindows {
		accounts = []string{"Administrator", "Guest"}
	}
	for _, a := range accounts {
		x.open(10, "HostAssetAccount")
		x.text(12, "username", a)
		x.close(10, "HostAssetAccount")
	}
	x.close(8, "list")
	x.close(6, "account")
	x.open(6, "networkInterface")
	x.open(8, "list")
	x.open(10, "HostAssetInterface")
	x.text(12, "hostname", h.hostname)
	x.text(12, "interfaceId", "eni-"+hexN(&r, 17))
	x.text(12, "interfaceName", pick(&r, []string{"eth0", "ens5", "Ethernet0"}))
	x.text(12, "macAddress", h.mac)
	x.text(12, "type", "PRIVATE")
	x.text(12, "address", h.privateIP)
	x.text(12, "gatewayAddress", gatewayOf(h.privateIP))
	x.close(10, "HostAssetInterface")
	if h.publicIP != "" {
		x.open(10, "HostAssetInterface")
		x.text(12, "hostname", h.hostname)
		x.text(12, "type", "PUBLIC")
		x.text(12, "address", h.publicIP)
		x.close(10, "HostAssetInterface")
	}
	if h.ipv6 != "" {
		x.open(10, "HostAssetInterface")
		x.text(12, "interfaceName", "eth0")
		x.text(12, "macAddress", h.mac)
		x.text(12, "type", "LOCAL")
		x.text(12, "address", h.ipv6)
		x.close(10, "HostAssetInterface")
	}
	x.close(8, "list")
	x.close(6, "networkInterface")
	x.bool(6, "isDockerHost", h.isDocker())
	if h.isDocker() {
		x.open(6, "dockerInfo")
		x.text(8, "dockerVersion", "24.0.7")
		x.int(8, "noOfContainers", int64(r.between(1, 40)))
		x.int(8, "noOfImages", int64(r.between(1, 25)))
		x.close(6, "dockerInfo")
	}
	x.close(4, "HostAsset")
	x.maybeFlush()
}

// cloudProvider names the cloud a host runs in, "" on premises.
func (h *host) cloudProvider() string {
	switch h.kind {
	case kindEC2:
		return "AWS"
	case kindAzure:
		return "AZURE"
	case kindGCP:
		return "GCP"
	}
	return ""
}

// hardware returns the manufacturer and model Qualys reports for h.
func (h *host) hardware() (manufacturer, model string) {
	switch h.kind {
	case kindEC2:
		return "Amazon EC2", h.instanceType
	case kindAzure:
		return "Microsoft Corporation", "Virtual Machine"
	case kindGCP:
		return "Google", "Google Compute Engine"
	}
	return "Dell Inc.", "PowerEdge R740"
}

func gatewayOf(ip string) string {
	if i := strings.LastIndexByte(ip, '.'); i > 0 {
		return ip[:i] + ".1"
	}
	return ""
}

func (rc *reqCtx) writeAgentInfo(x *xmlWriter, h *host, r *rng) {
	x.open(6, "agentInfo")
	x.text(8, "agentVersion", pick(r, []string{"5.1.0.25", "6.1.0.28", "4.8.0.31"}))
	x.text(8, "agentId", h.agentID)
	status := "STATUS_ACTIVE"
	if h.lastScan < rc.world.now()-7*86400 {
		status = "STATUS_INACTIVE"
	}
	x.text(8, "status", status)
	x.date(8, "lastCheckedIn", h.processed)
	x.text(8, "connectedFrom", h.ip)
	x.text(8, "chirpStatus", "Inventory Scan Complete")
	platform := h.os.platform
	if platform == "" {
		platform = "Linux"
	}
	x.text(8, "platform", platform)
	x.text(8, "activatedModule", "AGENT_VM,AGENT_PC")
	x.open(8, "manifestVersion")
	x.text(10, "vm", "VULNSIGS-VM-2.5.484.3-1")
	x.text(10, "pc", "VULNSIGS-PC-2.5.484.3-1")
	x.text(10, "sca", "VULNSIGS-SCA-2.5.484.3-1")
	x.close(8, "manifestVersion")
	x.open(8, "agentConfiguration")
	x.int(10, "id", 8099)
	x.text(10, "name", "Initial Profile")
	x.close(8, "agentConfiguration")
	x.open(8, "activationKey")
	x.text(10, "activationId", uuidOf(r))
	x.text(10, "title", "Default activation key")
	x.close(8, "activationKey")
	x.close(6, "agentInfo")
}

// writeSource writes the sourceInfo list entries of h.
func (rc *reqCtx) writeSource(x *xmlWriter, h *host) {
	const in = 12
	first := h.created
	switch h.kind {
	case kindEC2:
		x.open(10, "Ec2AssetSourceSimple")
		x.int(in, "assetId", h.assetID)
		x.text(in, "type", "EC_2")
		x.date(in, "firstDiscovered", first)
		x.date(in, "lastUpdated", h.processed)
		writeCloudTagList(x, "ec2InstanceTags", "EC2Tags", h.cloudTags)
		x.text(in, "reservationId", h.reservationID)
		x.text(in, "availabilityZone", h.zone)
		x.text(in, "privateDnsName", h.hostname+"."+h.domain)
		if h.publicIP != "" {
			x.text(in, "publicDnsName", "ec2-"+strings.ReplaceAll(h.publicIP, ".", "-")+".compute-1.amazonaws.com")
		}
		x.text(in, "instanceId", h.instanceID)
		x.text(in, "instanceType", h.instanceType)
		x.date(in, "createdDate", first)
		x.date(in, "launchTime", h.lastBoot)
		x.text(in, "instanceState", "RUNNING")
		x.text(in, "groupId", h.groupID)
		x.text(in, "groupName", h.groupName)
		x.bool(in, "spotInstance", h.index%17 == 0)
		x.text(in, "accountId", h.accountID)
		x.text(in, "subnetId", h.subnetID)
		x.text(in, "vpcId", h.vpcID)
		x.text(in, "region", h.region)
		x.text(in, "zone", "VPC")
		x.text(in, "imageId", h.imageID)
		x.text(in, "keyName", "kp-"+h.env)
		x.text(in, "localHostname", h.hostname+"."+h.domain)
		x.text(in, "macAddress", h.mac)
		if h.publicIP != "" {
			x.text(in, "publicIpAddress", h.publicIP)
		}
		x.text(in, "privateIpAddress", h.privateIP)
		x.bool(in, "monitoringEnabled", false)
		x.close(10, "Ec2AssetSourceSimple")
	case kindAzure:
		x.open(10, "AzureAssetSourceSimple")
		x.int(in, "assetId", h.assetID)
		x.text(in, "type", "AZURE")
		x.date(in, "firstDiscovered", first)
		x.date(in, "lastUpdated", h.processed)
		writeCloudTagList(x, "azureVmTags", "AzureTags", h.cloudTags)
		x.text(in, "name", h.hostname)
		x.text(in, "location", h.region)
		x.text(in, "vmSize", h.vmSize)
		x.text(in, "vmId", h.vmID)
		x.text(in, "offer", map[family]string{famWindows: "WindowsServer", famLinux: "UbuntuServer"}[h.os.fam])
		x.text(in, "state", "SUCCEEDED")
		x.text(in, "publisher", map[family]string{famWindows: "MicrosoftWindowsServer", famLinux: "Canonical"}[h.os.fam])
		x.text(in, "version", "latest")
		x.text(in, "osType", map[family]string{famWindows: "Windows", famLinux: "Linux"}[h.os.fam])
		x.text(in, "subnet", "default")
		x.text(in, "virtualNetwork", "vnet-"+h.env)
		x.text(in, "subscriptionId", h.subscriptionID)
		x.text(in, "resourceGroupName", h.resourceGroup)
		x.text(in, "macAddress", strings.ToUpper(strings.ReplaceAll(h.mac, ":", "-")))
		x.text(in, "privateIpAddress", h.privateIP)
		if h.publicIP != "" {
			x.text(in, "publicIpAddress", h.publicIP)
		}
		x.close(10, "AzureAssetSourceSimple")
	case kindGCP:
		x.open(10, "GcpAssetSourceSimple")
		x.int(in, "assetId", h.assetID)
		x.text(in, "type", "GCP")
		x.date(in, "firstDiscovered", first)
		x.date(in, "lastUpdated", h.processed)
		x.text(in, "instanceId", h.instanceID)
		x.text(in, "hostname", h.fqdn())
		x.text(in, "machineType", h.machineType)
		x.text(in, "imageId", h.imageID)
		x.text(in, "zone", h.zone)
		x.text(in, "projectIdNo", h.projectNo)
		x.text(in, "state", "RUNNING")
		x.text(in, "projectId", h.projectID)
		x.text(in, "network", h.network)
		x.text(in, "macAddress", h.mac)
		if h.publicIP != "" {
			x.text(in, "publicIpAddress", h.publicIP)
		}
		x.text(in, "privateIpAddress", h.privateIP)
		writeCloudTagList(x, "gcpInstanceTags", "GCPTags", h.cloudTags)
		x.close(10, "GcpAssetSourceSimple")
		x.empty(10, "AssetSource")
	default:
		x.empty(10, "AssetSource")
	}
}

func writeCloudTagList(x *xmlWriter, outer, item string, tags [][2]string) {
	x.open(12, outer)
	x.open(14, "tags")
	if len(tags) == 0 {
		x.empty(16, "list")
	} else {
		x.open(16, "list")
		for _, t := range tags {
			x.open(18, item)
			x.text(20, "key", t[0])
			x.text(20, "value", t[1])
			x.close(18, item)
		}
		x.close(16, "list")
	}
	x.close(14, "tags")
	x.close(12, outer)
}
