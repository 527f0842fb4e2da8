package sim

import (
	"sort"
	"strconv"
	"sync/atomic"
)

// Platform families: a host draws its detections from the generic QIDs and
// from the QIDs of its own family.
type family uint8

const (
	famGeneric family = iota
	famWindows
	famLinux
	famNetwork
	famWeb
	famCount
)

// Vulnerability types, as VULN_TYPE spells them.
const (
	vtVuln uint8 = iota
	vtPotential
	vtVulnOrPotential
	vtInfo
)

var vulnTypeNames = [...]string{"Vulnerability", "Potential Vulnerability", "Vulnerability or Potential Vulnerability", "Information Gathered"}

// kbRange is a block of QIDs with one category.
type kbRange struct {
	lo, hi   int
	fam      family
	category string
	share    int // parts per 1000 of the knowledge base
	igShare  float64
	products []product
}

type product struct{ vendor, name, title string }

var kbRanges = []kbRange{
	{11000, 11999, famGeneric, "CGI", 30, 0.05, []product{{"apache", "http_server", "Apache HTTP Server"}, {"php", "php", "PHP"}}},
	{38000, 39999, famGeneric, "General remote services", 140, 0.15, []product{{"openbsd", "openssh", "OpenSSH"}, {"openssl", "openssl", "OpenSSL"}, {"isc", "bind", "ISC BIND"}, {"multi-vendor", "tls", "SSL/TLS"}}},
	{45000, 45499, famGeneric, "Information gathering", 60, 0.95, []product{{"None", "None", "Host"}}},
	{82000, 82099, famGeneric, "TCP/IP", 20, 0.6, []product{{"None", "tcp_ip", "TCP/IP stack"}}},
	{86000, 87999, famGeneric, "Web server", 60, 0.2, []product{{"nginx", "nginx", "nginx"}, {"apache", "tomcat", "Apache Tomcat"}, {"microsoft", "iis", "Microsoft IIS"}}},
	{90000, 92199, famWindows, "Windows", 140, 0.05, []product{{"microsoft", "windows", "Microsoft Windows"}, {"microsoft", "windows_server", "Microsoft Windows Server"}, {"microsoft", ".net_framework", "Microsoft .NET Framework"}}},
	{100000, 100499, famWindows, "Internet Explorer", 20, 0, []product{{"microsoft", "edge", "Microsoft Edge"}, {"microsoft", "internet_explorer", "Internet Explorer"}}},
	{105000, 106999, famWindows, "Security Policy", 40, 0.3, []product{{"microsoft", "windows", "Microsoft Windows"}}},
	{110000, 110499, famWindows, "Office Application", 30, 0, []product{{"microsoft", "office", "Microsoft Office"}, {"microsoft", "365_apps", "Microsoft 365 Apps"}}},
	{115000, 125999, famLinux, "Local", 60, 0.1, []product{{"linux", "linux_kernel", "Linux Kernel"}, {"sudo_project", "sudo", "Sudo"}}},
	{150000, 152999, famWeb, "Web Application", 80, 0.45, []product{{"None", "web_application", "Web Application"}}},
	{170000, 182999, famLinux, "Ubuntu", 130, 0.02, []product{{"canonical", "ubuntu_linux", "Ubuntu"}, {"debian", "debian_linux", "Debian"}, {"suse", "linux_enterprise_server", "SUSE Linux Enterprise"}}},
	{240000, 241999, famLinux, "RedHat", 60, 0, []product{{"redhat", "enterprise_linux", "Red Hat Enterprise Linux"}, {"oracle", "linux", "Oracle Linux"}}},
	{316000, 317999, famNetwork, "Cisco", 50, 0.05, []product{{"cisco", "ios_xe", "Cisco IOS XE"}, {"cisco", "asa", "Cisco ASA"}, {"juniper", "junos", "Juniper Junos OS"}, {"fortinet", "fortios", "Fortinet FortiOS"}}},
	{350000, 352999, famLinux, "Amazon Linux", 40, 0, []product{{"amazon", "linux_2", "Amazon Linux 2"}}},
	{370000, 379999, famGeneric, "Local", 60, 0.05, []product{{"oracle", "jdk", "Oracle Java SE"}, {"google", "chrome", "Google Chrome"}, {"mozilla", "firefox", "Mozilla Firefox"}, {"adobe", "acrobat_reader", "Adobe Acrobat Reader"}, {"vmware", "tools", "VMware Tools"}}},
}

// knowledgeBase is the fixed set of QIDs. It holds only what detection
// generation needs per QID (a few bytes each); the full VULN record is
// generated from the QID when the KnowledgeBase endpoint is called.
type knowledgeBase struct {
	qids     []int32 // sorted ascending
	severity []uint8
	vtype    []uint8
	rangeIdx []uint8
	// byFamily lists knowledge base positions per family.
	byFamily [famCount][]int32
	// now is the clock the records are dated against; cache holds the
	// records built so far.
	now   int64
	cache []atomic.Pointer[vuln]
}

// facts returns the full record at position pos, building it on first use.
func (kb *knowledgeBase) facts(pos int) *vuln {
	if v := kb.cache[pos].Load(); v != nil {
		return v
	}
	v := kb.vulnAt(pos, kb.now)
	kb.cache[pos].Store(&v)
	return &v
}

// kbSeed fixes the knowledge base independently of the data seed, so QIDs
// mean the same thing in every simulated subscription.
const kbSeed = 0x51a1c0de

func newKnowledgeBase(size int, now int64) *knowledgeBase {
	kb := &knowledgeBase{now: now}
	total := 0
	for _, r := range kbRanges {
		total += r.share
	}
	for ri, r := range kbRanges {
		n := size * r.share / total
		span := r.hi - r.lo + 1
		n = min(max(n, 1), span)
		step := float64(span) / float64(n)
		rr := newRNG(hashOf(kbSeed, tagKBLayout, uint64(ri)))
		for k := range n {
			qid := r.lo + int(float64(k)*step) + rr.intn(max(1, int(step)))
			h := newRNG(hashOf(kbSeed, tagKB, uint64(qid)))
			vt := vtVuln
			if h.chance(r.igShare) {
				vt = vtInfo
			} else {
				switch u := h.float(); {
				case u < 0.65:
					vt = vtVuln
				case u < 0.88:
					vt = vtPotential
				default:
					vt = vtVulnOrPotential
				}
			}
			sev := severityDraw(&h, vt)
			kb.qids = append(kb.qids, int32(qid))
			kb.severity = append(kb.severity, sev)
			kb.vtype = append(kb.vtype, vt)
			kb.rangeIdx = append(kb.rangeIdx, uint8(ri))
		}
	}
	kb.cache = make([]atomic.Pointer[vuln], len(kb.qids))
	// Ranges are listed in ascending order, so qids are already sorted.
	for pos := range kb.qids {
		f := kbRanges[kb.rangeIdx[pos]].fam
		kb.byFamily[f] = append(kb.byFamily[f], int32(pos))
	}
	return kb
}

func severityDraw(r *rng, vt uint8) uint8 {
	u := r.float()
	if vt == vtInfo {
		if u < 0.55 {
			return 1
		}
		if u < 0.9 {
			return 2
		}
		return 3
	}
	switch {
	case u < 0.08:
		return 1
	case u < 0.25:
		return 2
	case u < 0.60:
		return 3
	case u < 0.86:
		return 4
	}
	return 5
}

// lookup returns the position of qid, or -1.
func (kb *knowledgeBase) lookup(qid int) int {
	i := sort.Search(len(kb.qids), func(i int) bool { return int(kb.qids[i]) >= qid })
	if i < len(kb.qids) && int(kb.qids[i]) == qid {
		return i
	}
	return -1
}

// Threat intelligence labels by id, as the KB spells them.
var threatIntel = []struct {
	id    int
	label string
}{
	{1, "Zero_Day"}, {2, "Exploit_Public"}, {3, "Active_Attacks"}, {4, "High_Lateral_Movement"},
	{5, "Easy_Exploit"}, {6, "High_Data_Loss"}, {7, "Denial_of_Service"}, {8, "No_Patch"},
	{9, "Malware"}, {10, "Exploit_Kit"}, {11, "Wormable"}, {12, "Predicted_High_Risk"},
	{13, "Privilege_Escalation"}, {14, "Unauthenticated_Exploitation"}, {15, "Remote_Code_Execution"},
	{16, "Ransomware"}, {17, "Solorigate_Sunburst"}, {18, "Cisa_Known_Exploited_Vulns"},
}

var weaknesses = []struct{ title, consequence string }{
	{"Remote Code Execution Vulnerability", "Successful exploitation allows a remote attacker to execute arbitrary code on the target system."},
	{"Privilege Escalation Vulnerability", "A local attacker could gain elevated privileges on the affected system."},
	{"Denial of Service Vulnerability", "An attacker could cause the affected service to stop responding."},
	{"Information Disclosure Vulnerability", "An attacker could read sensitive information from the affected system."},
	{"Security Feature Bypass Vulnerability", "An attacker could bypass security controls of the affected product."},
	{"Cross-Site Scripting Vulnerability", "An attacker could run script in the browser of a user of the affected application."},
	{"Multiple Vulnerabilities", "Depending on the vulnerability, an attacker could execute code, read data or crash the service."},
	{"Memory Corruption Vulnerability", "Successful exploitation could corrupt memory and lead to code execution."},
	{"Spoofing Vulnerability", "An attacker could impersonate a trusted party."},
	{"Command Injection Vulnerability", "An attacker could run operating system commands with the privileges of the service."},
}

var igTitles = []string{
	"Host Names Found", "Open TCP Services List", "Operating System Detected", "Traceroute", "Host Scan Time - Scanner",
	"Firewall Detected", "Degree of Randomness of TCP Initial Sequence Numbers", "Scan Activity per Port",
	"Network Adapter MAC Address", "Installed Applications Enumerated From Windows Installer", "DNS Host Name",
	"SSL Server Information Retrieval", "Web Server Version", "Target Network Information", "List of Installed Software",
}

var webTitles = []string{
	"SQL Injection", "Cross-Site Scripting (Reflected)", "Cross-Site Scripting (Stored)", "Path Traversal",
	"Client Side Template Injection", "Information Disclosure via Response Header", "Cookie Does Not Contain The \"secure\" Attribute",
	"Missing Content-Security-Policy Header", "Server-Side Request Forgery", "Open Redirect", "Sensitive Form Field Has Not Disabled Autocomplete",
	"Links Crawled", "External Links Discovered", "Scan Diagnostics", "HTTP Strict Transport Security (HSTS) Header Missing",
	"Credit Card Number Disclosed", "Directory Listing Enabled", "Insecure Direct Object Reference", "Session Cookie Without HttpOnly Attribute",
}

// vuln is one KnowledgeBase record, generated from its QID.
type vuln struct {
	qid, severity               int
	vtype                       uint8
	title, category             string
	published, modified, custom int64
	patchable, pci, remote      bool
	product                     product
	vendorRefs, cves, bugtraqs  []string
	diagnosis, consequence, fix string
	cvss2Base, cvss2Temp        int // tenths
	cvss2Vector                 string
	cvss3Base, cvss3Temp        int
	cvss3Vector, cvss3Version   string
	threats                     []int // indexes into threatIntel
	authTypes                   []string
	additionalInfo              string
	exploits, malware           int
	supportedModules, techList  string
	customized                  bool
}

var authTypesByFamily = [famCount][]string{
	famGeneric: {"Unix", "Windows"},
	famWindows: {"Windows"},
	famLinux:   {"Unix"},
	famNetwork: {"SNMP", "Unix"},
	famWeb:     {"HTTP"},
}

// vulnAt builds the full record of the QID at knowledge base position pos.
func (kb *knowledgeBase) vulnAt(pos int, now int64) vuln {
	qid := int(kb.qids[pos])
	rg := kbRanges[kb.rangeIdx[pos]]
	r := newRNG(hashOf(kbSeed, tagKB, uint64(qid), 1))
	v := vuln{qid: qid, severity: int(kb.severity[pos]), vtype: kb.vtype[pos], category: rg.category}
	v.product = pick(&r, rg.products)
	year := 2016 + r.intn(10)
	v.published = dateOf(year, 1+r.intn(12), 1+r.intn(28)) + int64(r.intn(86400))
	if v.published > now-86400 {
		v.published = now - int64(86400*(2+r.intn(300)))
	}
	v.modified = v.published + int64(r.intn(int(max(1, (now-v.published)/86400))))*86400 + int64(r.intn(86400))
	if v.modified > now {
		v.modified = now - 3600
	}
	switch {
	case v.vtype == vtInfo && rg.fam == famWeb:
		v.title = pick(&r, webTitles[11:15])
	case v.vtype == vtInfo:
		v.title = pick(&r, igTitles)
	case rg.fam == famWeb:
		v.title = pick(&r, webTitles)
	default:
		wk := pick(&r, weaknesses)
		v.title = v.product.title + " " + wk.title
		if r.chance(0.4) {
			v.title += " (" + advisoryID(&r, v.product, year) + ")"
		}
		v.consequence = wk.consequence
	}
	if v.consequence == "" {
		v.consequence = "Information about the target that an attacker can use to plan further attacks."
	}
	v.patchable = v.vtype != vtInfo && r.chance(0.85)
	v.pci = v.severity >= 3 && v.vtype != vtInfo && r.chance(0.8)
	v.remote = rg.fam != famLinux && r.chance(0.7)
	if v.vtype != vtInfo {
		for range r.between(1, 4) {
			v.cves = append(v.cves, "CVE-"+strconv.Itoa(year)+"-"+strconv.Itoa(1000+r.intn(48000)))
		}
		if r.chance(0.7) {
			v.vendorRefs = append(v.vendorRefs, advisoryID(&r, v.product, year))
		}
		if r.chance(0.2) {
			v.bugtraqs = append(v.bugtraqs, strconv.Itoa(10000+r.intn(100000)))
		}
		v.cvss2Base = 20 + r.intn(81)
		v.cvss2Temp = max(10, v.cvss2Base-r.intn(20))
		v.cvss2Vector = cvss2Vector(&r)
		v.cvss3Base = max(v.severity*18, 10) + r.intn(10)
		v.cvss3Base = min(v.cvss3Base, 100)
		v.cvss3Temp = max(10, v.cvss3Base-r.intn(12))
		v.cvss3Version = "3.1"
		if r.chance(0.3) {
			v.cvss3Version = "3.0"
		}
		v.cvss3Vector = "CVSS:" + v.cvss3Version + cvss3Vector(&r)
		if v.severity >= 3 {
			for range r.between(0, 4) {
				t := r.intn(len(threatIntel))
				if !containsInt(v.threats, t) {
					v.threats = append(v.threats, t)
				}
			}
			sortInts(v.threats)
		}
		if r.chance(0.25) {
			v.exploits = r.between(1, 3)
		}
		if r.chance(0.06) {
			v.malware = 1
		}
	}
	v.authTypes = authTypesByFamily[rg.fam]
	switch {
	case v.malware > 0:
		v.additionalInfo = "Malware Associated"
	case v.exploits > 0:
		v.additionalInfo = "Exploit Available"
	case v.patchable:
		v.additionalInfo = "Patch Available"
	}
	v.diagnosis = "The " + v.product.title + " component on the target is affected: " + v.title + ".<P>\n" +
		"<P>QID Detection Logic (Authenticated):<BR>This QID checks the installed version of " + v.product.title +
		" using &quot;" + v.product.name + " --version&quot;. <BR>"
	if v.patchable {
		v.fix = "<P>Customers are advised to refer to the vendor advisory for more information.\n<P>Patch:<BR>\nFollowing are links for downloading patches to fix the vulnerabilities:\n<P> <A HREF=\"https://vendor.example.com/advisories/" +
			strconv.Itoa(qid) + "\" TARGET=\"_blank\">" + v.product.title + " advisory</A>"
	} else {
		v.fix = "There is no patch available at this time. Restrict access to the affected service."
	}
	v.supportedModules = "VM,CA-Linux Agent,CA-Windows Agent"
	v.customized = r.chance(0.02)
	if v.customized {
		v.custom = v.modified + 3600
	}
	return v
}

func advisoryID(r *rng, p product, year int) string {
	switch p.vendor {
	case "microsoft":
		return "KB" + strconv.Itoa(4000000+r.intn(999999))
	case "cisco":
		return "cisco-sa-" + p.name + "-" + strconv.Itoa(year) + strconv.Itoa(r.intn(9999))
	case "canonical":
		return "USN-" + strconv.Itoa(3000+r.intn(4000)) + "-1"
	case "redhat":
		return "RHSA-" + strconv.Itoa(year) + ":" + strconv.Itoa(1000+r.intn(8000))
	}
	return p.vendor + "-" + strconv.Itoa(year) + "-" + strconv.Itoa(100+r.intn(900))
}

func cvss2Vector(r *rng) string {
	return "CVSS:2.0/AV:" + pick(r, []string{"N", "A", "L"}) + "/AC:" + pick(r, []string{"L", "M", "H"}) +
		"/Au:" + pick(r, []string{"N", "S"}) + "/C:" + pick(r, []string{"N", "P", "C"}) +
		"/I:" + pick(r, []string{"N", "P", "C"}) + "/A:" + pick(r, []string{"N", "P", "C"}) +
		"/E:" + pick(r, []string{"U", "POC", "F", "H"}) + "/RL:" + pick(r, []string{"OF", "TF", "W", "U"}) + "/RC:C"
}

func cvss3Vector(r *rng) string {
	return "/AV:" + pick(r, []string{"N", "A", "L", "P"}) + "/AC:" + pick(r, []string{"L", "H"}) +
		"/PR:" + pick(r, []string{"N", "L", "H"}) + "/UI:" + pick(r, []string{"N", "R"}) +
		"/S:" + pick(r, []string{"U", "C"}) + "/C:" + pick(r, []string{"N", "L", "H"}) +
		"/I:" + pick(r, []string{"N", "L", "H"}) + "/A:" + pick(r, []string{"N", "L", "H"}) +
		"/E:" + pick(r, []string{"U", "P", "F", "H"}) + "/RL:" + pick(r, []string{"O", "T", "W", "U"}) + "/RC:C"
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func sortInts(s []int) { sort.Ints(s) }

// dateOf returns the Unix time of midnight UTC on the given date.
func dateOf(y, m, d int) int64 {
	// days from civil (inverse of civilFromDays)
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097+doe-719468) * 86400
}
