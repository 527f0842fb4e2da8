package sim

import (
	"strconv"
)

// hostKind is where a host lives and how Qualys tracks it.
type hostKind uint8

const (
	kindScanner hostKind = iota // on-premises, tracked by IP
	kindAgent                   // on-premises with a cloud agent
	kindDNS                     // on-premises, tracked by DNS name
	kindNetBIOS                 // on-premises, tracked by NetBIOS name
	kindEC2
	kindAzure
	kindGCP
)

// osInfo describes one operating system a host can run.
type osInfo struct {
	fam      family
	name     string // HLD OS
	amOS     string // HostAsset os
	cpe      string
	platform string // agent platform
}

var operatingSystems = []osInfo{
	{famWindows, "Windows 2016/2019/10", "Windows Server 2019 Datacenter 64 bit Edition Version 1809", "cpe:/o:microsoft:windows_server_2019:::x64", "Windows"},
	{famWindows, "Windows Server 2022 Standard 64 bit Edition Version 21H2", "Windows Server 2022 Standard 64 bit Edition Version 21H2", "cpe:/o:microsoft:windows_server_2022:::x64", "Windows"},
	{famWindows, "Windows 10 Enterprise 64 bit Edition Version 22H2", "Windows 10 Enterprise 64 bit Edition Version 22H2", "cpe:/o:microsoft:windows_10:22h2::x64", "Windows"},
	{famWindows, "Windows 11 Pro 64 bit Edition Version 23H2", "Windows 11 Pro 64 bit Edition Version 23H2", "cpe:/o:microsoft:windows_11:23h2::x64", "Windows"},
	{famWindows, "Windows 2012 R2 Standard", "Windows Server 2012 R2 Standard 64 bit Edition", "cpe:/o:microsoft:windows_server_2012:r2::x64", "Windows"},
	{famLinux, "Ubuntu Linux 20.04.6", "Ubuntu Linux 20.04.6", "cpe:/o:canonical:ubuntu_linux:20.04:::", "LINUX_UBUNTU"},
	{famLinux, "Ubuntu Linux 22.04.4", "Ubuntu Linux 22.04.4", "cpe:/o:canonical:ubuntu_linux:22.04:::", "LINUX_UBUNTU"},
	{famLinux, "Red Hat Enterprise Linux 8.9", "Red Hat Enterprise Linux 8.9", "cpe:/o:redhat:enterprise_linux:8.0:::", "LINUX_REDHAT"},
	{famLinux, "Red Hat Enterprise Linux 9.3", "Red Hat Enterprise Linux 9.3", "cpe:/o:redhat:enterprise_linux:9.0:::", "LINUX_REDHAT"},
	{famLinux, "CentOS Linux 7.9.2009", "CentOS Linux 7.9.2009", "cpe:/o:centos:centos:7:::", "LINUX_CENTOS"},
	{famLinux, "Amazon Linux 2", "Amazon Linux 2", "cpe:/o:amazon:linux_2:::", "LINUX_AMAZON"},
	{famLinux, "Debian GNU/Linux 12.5", "Debian GNU/Linux 12.5", "cpe:/o:debian:debian_linux:12:::", "LINUX_DEBIAN"},
	{famLinux, "SUSE Linux Enterprise Server 15 SP5", "SUSE Linux Enterprise Server 15 SP5", "cpe:/o:suse:linux_enterprise_server:15:sp5::", "LINUX_SUSE"},
	{famNetwork, "Cisco IOS XE 17.3.4", "Cisco IOS XE 17.3.4", "cpe:/o:cisco:ios_xe:17.3.4:::", ""},
	{famNetwork, "FortiOS 7.2.5", "FortiOS 7.2.5", "cpe:/o:fortinet:fortios:7.2.5:::", ""},
	{famNetwork, "Juniper JUNOS 21.4R3", "Juniper JUNOS 21.4R3", "cpe:/o:juniper:junos:21.4:::", ""},
	{famGeneric, "macOS 14.4", "macOS 14.4 Sonoma", "cpe:/o:apple:macos:14.4:::", "MAC"},
}

var roles = []string{"web", "app", "db", "api", "mail", "dc", "fs", "build", "k8s-node", "cache", "vpn", "proxy", "log", "mon", "ws", "erp", "crm", "git", "ci", "backup"}
var envs = []string{"prod", "prod", "prod", "stg", "dev", "qa", "dr"}
var sites = []string{"nyc", "lon", "fra", "sfo", "sgp", "syd", "tor", "ams"}

// tagDef is one Qualys asset tag.
type tagDef struct {
	id          int64
	name, color string
}

var tagTable = []tagDef{
	{7517801, "Cloud Agent", "#1F78B4"}, {7517802, "Production", "#E31A1C"}, {7517803, "Staging", "#FF7F00"},
	{7517804, "Development", "#33A02C"}, {7517805, "PCI", "#6A3D9A"}, {7517806, "Internet Facing", "#B15928"},
	{7517807, "Windows Servers", "#A6CEE3"}, {7517808, "Linux Servers", "#B2DF8A"}, {7517809, "AWS", "#FB9A99"},
	{7517810, "Azure", "#FDBF6F"}, {7517811, "GCP", "#CAB2D6"}, {7517812, "Datacenter", "#FFFF99"},
	{7517813, "Business Critical", "#D62728"}, {7517814, "DMZ", "#9467BD"}, {7517815, "Workstations", "#8C564B"},
	{7517816, "Database", "#E377C2"}, {7517817, "Network Devices", "#7F7F7F"}, {7517818, "Legacy", "#BCBD22"},
}

const (
	tagCloudAgent = iota
	tagProduction
	tagStaging
	tagDevelopment
	tagPCI
	tagInternetFacing
	tagWindowsServers
	tagLinuxServers
	tagAWS
	tagAzure
	tagGCP
	tagDatacenter
	tagBusinessCritical
	tagDMZ
	tagWorkstations
	tagDatabase
	tagNetworkDevices
	tagLegacy
)

// host is one scanned host as of the current epoch.
type host struct {
	index            int
	id, assetID      int64
	kind             hostKind
	os               *osInfo
	ip, ipv6         string
	hostname, domain string
	netbios          string
	agentID          string
	tags             []int
	created          int64
	lastScan         int64 // last VM scan
	processed        int64 // when that scan was processed
	scanDuration     int
	lastAuthScan     int64
	lastPCScan       int64
	lastBoot         int64
	scanEpoch        int // epoch of the last scan
	bornEpoch        int
	firstScan        int64       // the scan that found the host
	scans            []scanEvent // later scans, oldest first
	env, role, site  string
	serial, hwUUID   string
	memoryMB         int
	cpuName          string
	cpuMHz           int
	// cloud
	region, zone, instanceID, instanceType, accountID, imageID string
	vpcID, subnetID, groupID, groupName, reservationID         string
	publicIP, privateIP, mac                                   string
	subscriptionID, resourceGroup, vmID, vmSize                string
	projectID, projectNo, machineType, network                 string
	cloudTags                                                  [][2]string
	trurisk, acs                                               int
}

var ec2Regions = []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}
var azureLocations = []string{"eastus", "westeurope", "northeurope", "centralindia", "australiaeast"}
var gcpZones = []string{"us-central1-a", "us-east1-b", "europe-west1-c", "asia-southeast1-a"}
var ec2Types = []string{"t3.medium", "m5.large", "m5.xlarge", "c5.2xlarge", "r5.large", "t2.micro"}
var azureSizes = []string{"Standard_B2s", "Standard_D2s_v3", "Standard_D4s_v5", "Standard_E4s_v3"}
var gcpTypes = []string{"e2-standard-2", "n1-standard-1", "n2-standard-4", "e2-medium"}
var cpus = []string{"Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz", "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz", "AMD EPYC 7571", "Intel(R) Core(TM) i7-10610U CPU @ 1.80GHz"}

// hostAt builds host slot i as of the world's current epoch. The caller
// checks hostAlive first.
func (w *world) hostAt(i int) host {
	r := newRNG(hashOf(w.seed, tagHost, uint64(i)))
	h := host{index: i, id: w.hostID(i), assetID: w.assetID(i)}
	h.bornEpoch = bornEpoch(w.hostTotal, i)
	switch u := r.float(); {
	case u < 0.25:
		h.kind = kindScanner
	case u < 0.40:
		h.kind = kindAgent
	case u < 0.43:
		h.kind = kindDNS
	case u < 0.45:
		h.kind = kindNetBIOS
	case u < 0.70:
		h.kind = kindEC2
	case u < 0.85:
		h.kind = kindAzure
	default:
		h.kind = kindGCP
	}
	for {
		h.os = &operatingSystems[r.intn(len(operatingSystems))]
		cloud := h.kind >= kindEC2
		if !cloud || (h.os.fam != famNetwork && h.os.name != "macOS 14.4") {
			break
		}
	}
	h.role = pick(&r, roles)
	if h.os.fam == famNetwork {
		h.role = pick(&r, []string{"fw", "rtr", "sw", "lb"})
	}
	h.env = pick(&r, envs)
	h.site = pick(&r, sites)
	n := strconv.Itoa(i + 1)
	h.hostname = h.role + "-" + h.env + "-" + n
	h.domain = h.site + ".corp.example.com"
	ip := i + 1
	h.ip = "10." + strconv.Itoa(16+ip>>16&127) + "." + strconv.Itoa(ip>>8&255) + "." + strconv.Itoa(ip&255)
	if r.chance(0.3) {
		h.ipv6 = "2001:db8:" + strconv.FormatInt(int64(i>>16), 16) + ":" + strconv.FormatInt(int64(i&0xffff), 16) + "::" + strconv.FormatInt(int64(1+r.intn(0xfffe)), 16)
	}
	h.netbios = upper(h.role + "-" + n)
	if len(h.netbios) > 15 {
		h.netbios = h.netbios[:15]
	}
	h.mac = macOf(&r)
	h.privateIP = h.ip
	switch h.kind {
	case kindEC2:
		h.region = pick(&r, ec2Regions)
		h.zone = h.region + string(rune('a'+r.intn(3)))
		h.instanceID = "i-" + hexN(&r, 17)
		h.instanceType = pick(&r, ec2Types)
		h.accountID = "0" + strconv.Itoa(10000000000 + r.intn(89999999999))[:11]
		h.imageID = "ami-" + hexN(&r, 17)
		h.vpcID = "vpc-" + hexN(&r, 8)
		h.subnetID = "subnet-" + hexN(&r, 8)
		h.groupID = "sg-" + hexN(&r, 17)
		h.groupName = pick(&r, []string{"launch-wizard-2", "default", "web-sg", "app-sg", "db-sg"})
		h.reservationID = "r-" + hexN(&r, 17)
		h.privateIP = "172.31." + strconv.Itoa(ip>>8&255) + "." + strconv.Itoa(ip&255)
		h.ip = h.privateIP
		if r.chance(0.4) {
			h.publicIP = "198.51.100." + strconv.Itoa(1+r.intn(254))
		}
		h.hostname = "ip-172-31-" + strconv.Itoa(ip>>8&255) + "-" + strconv.Itoa(ip&255)
		h.domain = "ec2.internal"
		if h.region != "us-east-1" {
			h.domain = h.region + ".compute.internal"
		}
		h.cloudTags = [][2]string{{"Name", h.role + "-" + h.env}, {"Environment", h.env}, {"CostCenter", strconv.Itoa(1000 + r.intn(50))}}
	case kindAzure:
		h.region = pick(&r, azureLocations)
		h.vmID = uuidOf(&r)
		h.vmSize = pick(&r, azureSizes)
		h.subscriptionID = uuidOf(&r)
		h.resourceGroup = "rg-" + h.env + "-" + h.site
		h.privateIP = "172.16." + strconv.Itoa(ip>>8&255) + "." + strconv.Itoa(ip&255)
		h.ip = h.privateIP
		if r.chance(0.3) {
			h.publicIP = "203.0.113." + strconv.Itoa(1+r.intn(254))
		}
		h.domain = "internal.cloudapp.net"
		h.cloudTags = [][2]string{{"Owner", pick(&r, []string{"platform", "payments", "data", "identity"})}, {"Environment", h.env}}
	case kindGCP:
		h.zone = pick(&r, gcpZones)
		h.region = h.zone[:len(h.zone)-2]
		h.instanceID = strconv.FormatUint(100000000000000000+r.next()%899999999999999999, 10)
		h.machineType = pick(&r, gcpTypes)
		h.projectID = pick(&r, []string{"acme-prod", "acme-data", "acme-dev", "acme-shared"}) + "-" + strconv.Itoa(100+r.intn(900))
		h.projectNo = strconv.FormatInt(1000000000000+int64(r.intn(8999999999))*100, 10)
		h.network = pick(&r, []string{"default", "shared-vpc", "prod-vpc"})
		h.imageID = "projects/" + pick(&r, []string{"ubuntu-os-cloud", "rhel-cloud", "windows-cloud", "debian-cloud"}) + "/global/images/img-" + strconv.Itoa(20240000+r.intn(999))
		h.privateIP = "10.128." + strconv.Itoa(ip>>8&255) + "." + strconv.Itoa(ip&255)
		h.ip = h.privateIP
		if r.chance(0.3) {
			h.publicIP = "192.0.2." + strconv.Itoa(1+r.intn(254))
		}
		h.domain = "c." + h.projectID + ".internal"
		h.cloudTags = [][2]string{{"team", pick(&r, []string{"sre", "ml", "analytics"})}, {"env", h.env}}
	}
	if h.kind == kindAgent || (h.kind >= kindEC2 && r.chance(0.5)) {
		h.agentID = uuidOf(&r)
	}
	h.serial = upper(hexN(&r, 12))
	h.hwUUID = upper(uuidOf(&r))
	h.memoryMB = 1024 * pick(&r, []int{2, 4, 8, 16, 32, 64})
	h.cpuName = pick(&r, cpus)
	h.cpuMHz = 1800 + 100*r.intn(15)
	h.trurisk = r.intn(1001)
	h.acs = 1 + r.intn(5)
	// Tags.
	switch h.env {
	case "prod":
		h.tags = append(h.tags, tagProduction)
	case "stg", "qa":
		h.tags = append(h.tags, tagStaging)
	default:
		h.tags = append(h.tags, tagDevelopment)
	}
	if h.agentID != "" {
		h.tags = append(h.tags, tagCloudAgent)
	}
	switch h.kind {
	case kindEC2:
		h.tags = append(h.tags, tagAWS)
	case kindAzure:
		h.tags = append(h.tags, tagAzure)
	case kindGCP:
		h.tags = append(h.tags, tagGCP)
	default:
		h.tags = append(h.tags, tagDatacenter)
	}
	switch h.os.fam {
	case famWindows:
		if h.role == "ws" {
			h.tags = append(h.tags, tagWorkstations)
		} else {
			h.tags = append(h.tags, tagWindowsServers)
		}
	case famLinux:
		h.tags = append(h.tags, tagLinuxServers)
	case famNetwork:
		h.tags = append(h.tags, tagNetworkDevices)
	}
	if h.role == "db" {
		h.tags = append(h.tags, tagDatabase)
	}
	if r.chance(0.1) {
		h.tags = append(h.tags, tagPCI)
	}
	if h.publicIP != "" || r.chance(0.05) {
		h.tags = append(h.tags, tagInternetFacing)
	}
	if r.chance(0.08) {
		h.tags = append(h.tags, tagBusinessCritical)
	}
	if r.chance(0.04) {
		h.tags = append(h.tags, tagLegacy)
	}
	sortInts(h.tags)
	// Times.
	now0 := w.epochs[0]
	if h.bornEpoch == 0 {
		age := int64(86400 * (30 + r.intn(900)))
		var offset int64
		if r.chance(0.88) {
			offset = int64(600 + r.intn(6*86400))
		} else {
			offset = int64(6*86400 + r.intn(54*86400))
		}
		h.lastScan = now0 - offset
		h.created = h.lastScan - age
	} else {
		_, t := w.hostScannedAt(i, h.bornEpoch)
		if t == 0 {
			t = w.scanTimeIn(h.bornEpoch, hashOf(w.seed, tagHost, uint64(i), 9))
		}
		h.created = t - 3600
		h.lastScan = t
	}
	h.firstScan = h.lastScan
	h.scanEpoch = h.bornEpoch
	for e := h.bornEpoch + 1; e <= w.epoch(); e++ {
		if ok, t := w.hostScannedAt(i, e); ok {
			h.scans = append(h.scans, scanEvent{epoch: e, at: t})
			h.lastScan, h.scanEpoch = t, e
		}
	}
	sr := newRNG(hashOf(w.seed, tagHostScan, uint64(i), uint64(h.scanEpoch), 7))
	h.scanDuration = 60 + sr.intn(1800)
	h.processed = h.lastScan + int64(h.scanDuration) + int64(60+sr.intn(900))
	if h.kind == kindAgent || h.agentID != "" || sr.chance(0.4) {
		h.lastAuthScan = h.lastScan
	}
	if sr.chance(0.3) {
		h.lastPCScan = h.lastScan - int64(sr.intn(5*86400))
	}
	h.lastBoot = h.lastScan - int64(3600+sr.intn(40*86400))
	return h
}

// scanEvent is one VM scan of a host after the one that found it.
type scanEvent struct {
	epoch int
	at    int64
}

// fqdn returns the host's fully qualified name.
func (h *host) fqdn() string { return h.hostname + "." + h.domain }

// foTracking is the TRACKING_METHOD of the FO APIs.
func (h *host) foTracking() string {
	switch h.kind {
	case kindDNS:
		return "DNS"
	case kindNetBIOS:
		return "NETBIOS"
	case kindEC2:
		if h.agentID != "" {
			return "AGENT"
		}
		return "EC2"
	case kindAzure:
		if h.agentID != "" {
			return "AGENT"
		}
		return "AZURE"
	case kindGCP:
		if h.agentID != "" {
			return "AGENT"
		}
		return "GCP"
	case kindAgent:
		return "AGENT"
	}
	return "IP"
}

// amTracking is the trackingMethod of the Asset Management API.
func (h *host) amTracking() string {
	switch h.kind {
	case kindDNS:
		return "DNSNAME"
	case kindNetBIOS:
		return "NETBIOS"
	case kindAgent:
		return "QAGENT"
	case kindEC2, kindGCP:
		if h.agentID != "" {
			return "QAGENT"
		}
		return "INSTANCE_ID"
	case kindAzure:
		if h.agentID != "" {
			return "QAGENT"
		}
		return "VIRTUAL_MACHINE_ID"
	}
	return "IP"
}

// hasTagNamed reports whether the host carries a tag with one of names.
func (h *host) hasTagNamed(names []string) bool {
	for _, t := range h.tags {
		for _, n := range names {
			if tagTable[t].name == n {
				return true
			}
		}
	}
	return false
}

// hasTagID reports whether the host carries a tag with one of ids.
func (h *host) hasTagID(ids []int64) bool {
	for _, t := range h.tags {
		for _, id := range ids {
			if tagTable[t].id == id {
				return true
			}
		}
	}
	return false
}

const hexDigits = "0123456789abcdef"

func hexN(r *rng, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hexDigits[r.intn(16)]
	}
	return string(b)
}

func uuidOf(r *rng) string {
	return hexN(r, 8) + "-" + hexN(r, 4) + "-4" + hexN(r, 3) + "-" + string(hexDigits[8+r.intn(4)]) + hexN(r, 3) + "-" + hexN(r, 12)
}

func macOf(r *rng) string {
	b := make([]byte, 0, 17)
	for k := range 6 {
		if k > 0 {
			b = append(b, ':')
		}
		v := r.intn(256)
		if k == 0 {
			v = v&0xfc | 0x02
		}
		b = append(b, hexDigits[v>>4], hexDigits[v&15])
	}
	return string(b)
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}
