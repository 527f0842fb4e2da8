package sim

import (
	"net/http"
	"sort"
	"strconv"
)

var kbParams = []string{"action", "echo_request", "details", "ids", "id_min", "id_max", "is_patchable",
	"last_modified_after", "last_modified_before", "last_modified_by_user_after", "last_modified_by_user_before",
	"last_modified_by_service_after", "last_modified_by_service_before", "published_after", "published_before",
	"discovery_method", "discovery_auth_types", "show_pci_reasons", "show_supported_modules_info",
	"show_disabled_flag", "show_qid_change_log", "code_modified_after", "code_modified_before", "output_format"}

// serveKB answers /api/2.0/fo/knowledge_base/vuln/.
func (s *Server) serveKB(rc *reqCtx) int {
	p, e := rc.parseFO(kbParams)
	if e != nil {
		return rc.foError(e.code, e.text)
	}
	var ranges []idRange
	if v := p.get("ids"); v != "" {
		if ranges, e = parseIDs("ids", v); e != nil {
			return rc.foError(e.code, e.text)
		}
	} else {
		ranges = []idRange{{1, 1<<63 - 1}}
	}
	idMin, e := p.intArg("id_min", 0)
	if e != nil {
		return rc.foError(e.code, e.text)
	}
	idMax, e := p.intArg("id_max", 1<<63-1)
	if e != nil {
		return rc.foError(e.code, e.text)
	}
	details := p.get("details")
	switch details {
	case "":
		details = "Basic"
	case "Basic", "All", "None":
	default:
		return rc.foError(1905, "parameter details has invalid value: "+details)
	}
	var dates [6]int64
	for k, name := range []string{"last_modified_after", "last_modified_before", "published_after", "published_before", "last_modified_by_service_after", "last_modified_by_service_before"} {
		if dates[k], e = p.date(name); e != nil {
			return rc.foError(e.code, e.text)
		}
	}
	patchable := p.get("is_patchable")
	if patchable != "" && patchable != "0" && patchable != "1" {
		return rc.foError(1905, "parameter is_patchable has invalid value: "+patchable)
	}
	show := map[string]bool{}
	for _, k := range []string{"show_pci_reasons", "show_supported_modules_info", "show_disabled_flag", "show_qid_change_log"} {
		v, e := p.flag(k)
		if e != nil {
			return rc.foError(e.code, e.text)
		}
		show[k] = v
	}
	rc.startFO("text/xml;charset=UTF-8")
	x := newXMLWriter(rc.out())
	const root = "KNOWLEDGE_BASE_VULN_LIST_OUTPUT"
	rc.foHeader(x, p, root, "/api/2.0/fo/knowledge_base/vuln/knowledge_base_vuln_list_output.dtd")
	keepAlive := "<!-- keep-alive for " + root + "  -->\n"
	kb := s.kb
	n := 0
	opened := false
	corrupted := !rc.corrupt
	for _, r := range ranges {
		lo, hi := max(r.lo, idMin), min(r.hi, idMax)
		start := sort.Search(len(kb.qids), func(i int) bool { return int64(kb.qids[i]) >= lo })
		for pos := start; pos < len(kb.qids) && int64(kb.qids[pos]) <= hi; pos++ {
			v := s.kb.facts(pos)
			if !kbMatch(v, dates, patchable) {
				continue
			}
			if !opened {
				x.raw(keepAlive) // as Qualys does while it assembles the list
				if details == "None" {
					x.open(4, "ID_SET")
				} else {
					x.open(4, "VULN_LIST")
				}
				opened = true
			}
			n++
			if n%500 == 0 {
				x.raw(keepAlive)
			}
			if details == "None" {
				x.int(6, "ID", int64(v.qid))
				continue
			}
			writeVuln(x, v, details == "All", show, !corrupted)
			corrupted = true
			rc.record()
			if x.err != nil {
				break
			}
		}
	}
	if opened {
		if details == "None" {
			x.close(4, "ID_SET")
		} else {
			x.close(4, "VULN_LIST")
		}
	}
	rc.foFooter(x, root)
	x.raw(keepAlive)
	x.flush()
	return http.StatusOK
}

func kbMatch(v *vuln, d [6]int64, patchable string) bool {
	if d[0] != 0 && v.modified < d[0] || d[1] != 0 && v.modified > d[1] {
		return false
	}
	if d[2] != 0 && v.published < d[2] || d[3] != 0 && v.published > d[3] {
		return false
	}
	if d[4] != 0 && v.modified < d[4] || d[5] != 0 && v.modified > d[5] {
		return false
	}
	switch patchable {
	case "0":
		return !v.patchable
	case "1":
		return v.patchable
	}
	return true
}

// writeVuln writes one VULN in the KB DTD order.
func writeVuln(x *xmlWriter, v *vuln, all bool, show map[string]bool, corrupt bool) {
	const in = 8
	x.open(6, "VULN")
	if corrupt {
		x.startTag(in, "QID")
		x.buf = strconv.AppendInt(x.buf, int64(v.qid/10), 10)
		x.buf = append(x.buf, garbage...)
		x.endTag("QID")
	} else {
		x.int(in, "QID", int64(v.qid))
	}
	x.text(in, "VULN_TYPE", vulnTypeNames[v.vtype])
	x.int(in, "SEVERITY_LEVEL", int64(v.severity))
	x.cdata(in, "TITLE", v.title)
	x.text(in, "CATEGORY", v.category)
	x.text(in, "DETECTION_INFO", detectionInfo(v))
	if v.customized {
		x.open(in, "LAST_CUSTOMIZATION")
		x.date(in+2, "DATETIME", v.custom)
		x.text(in+2, "USER_LOGIN", owners[v.qid%len(owners)])
		x.close(in, "LAST_CUSTOMIZATION")
	}
	x.date(in, "LAST_SERVICE_MODIFICATION_DATETIME", v.modified)
	x.date(in, "PUBLISHED_DATETIME", v.published)
	if len(v.bugtraqs) > 0 {
		x.open(in, "BUGTRAQ_LIST")
		for _, b := range v.bugtraqs {
			x.open(in+2, "BUGTRAQ")
			x.cdata(in+4, "ID", b)
			x.cdata(in+4, "URL", "http://www.securityfocus.com/bid/"+b)
			x.close(in+2, "BUGTRAQ")
		}
		x.close(in, "BUGTRAQ_LIST")
	}
	x.b01(in, "PATCHABLE", v.patchable)
	x.open(in, "SOFTWARE_LIST")
	x.open(in+2, "SOFTWARE")
	x.cdata(in+4, "PRODUCT", v.product.name)
	x.cdata(in+4, "VENDOR", v.product.vendor)
	x.close(in+2, "SOFTWARE")
	x.close(in, "SOFTWARE_LIST")
	if len(v.vendorRefs) > 0 {
		x.open(in, "VENDOR_REFERENCE_LIST")
		for _, ref := range v.vendorRefs {
			x.open(in+2, "VENDOR_REFERENCE")
			x.cdata(in+4, "ID", ref)
			x.cdata(in+4, "URL", "https://vendor.example.com/advisories/"+ref)
			x.close(in+2, "VENDOR_REFERENCE")
		}
		x.close(in, "VENDOR_REFERENCE_LIST")
	}
	if len(v.cves) > 0 {
		x.open(in, "CVE_LIST")
		for _, c := range v.cves {
			x.open(in+2, "CVE")
			x.cdata(in+4, "ID", c)
			x.cdata(in+4, "URL", "http://cve.mitre.org/cgi-bin/cvename.cgi?name="+c)
			x.close(in+2, "CVE")
		}
		x.close(in, "CVE_LIST")
	}
	x.cdata(in, "DIAGNOSIS", v.diagnosis)
	x.cdata(in, "CONSEQUENCE", v.consequence)
	x.cdata(in, "SOLUTION", v.fix)
	if v.customized {
		x.cdata(in, "DIAGNOSIS_COMMENT", "Reviewed by the security team.")
		x.cdata(in, "SOLUTION_COMMENT", "Patch in the next maintenance window.")
	}
	if v.pci && all {
		x.open(in, "COMPLIANCE_LIST")
		x.open(in+2, "COMPLIANCE")
		x.text(in+4, "TYPE", "PCI")
		x.text(in+4, "SECTION", "6.2")
		x.cdata(in+4, "DESCRIPTION", "Ensure that all system components and software are protected from known vulnerabilities.")
		x.close(in+2, "COMPLIANCE")
		x.close(in, "COMPLIANCE_LIST")
	}
	if all && (v.exploits > 0 || v.malware > 0) {
		x.open(in, "CORRELATION")
		if v.exploits > 0 {
			x.open(in+2, "EXPLOITS")
			x.open(in+4, "EXPLT_SRC")
			x.cdata(in+6, "SRC_NAME", "The Exploit-DB")
			x.open(in+6, "EXPLT_LIST")
			for k := range v.exploits {
				ref := v.cves[k%len(v.cves)]
				x.open(in+8, "EXPLT")
				x.cdata(in+10, "REF", ref)
				x.cdata(in+10, "DESC", v.product.title+" - exploit "+strconv.Itoa(k+1))
				x.cdata(in+10, "LINK", "https://www.exploit-db.com/exploits/"+strconv.Itoa(40000+v.qid%9000+k))
				x.close(in+8, "EXPLT")
			}
			x.close(in+6, "EXPLT_LIST")
			x.close(in+4, "EXPLT_SRC")
			x.close(in+2, "EXPLOITS")
		}
		if v.malware > 0 {
			x.open(in+2, "MALWARE")
			x.open(in+4, "MW_SRC")
			x.cdata(in+6, "SRC_NAME", "Trend Micro")
			x.open(in+6, "MW_LIST")
			x.open(in+8, "MW_INFO")
			x.cdata(in+10, "MW_ID", "TROJ_SIM."+strconv.Itoa(v.qid%97))
			x.cdata(in+10, "MW_TYPE", "Trojan")
			x.cdata(in+10, "MW_PLATFORM", "Windows")
			x.cdata(in+10, "MW_ALIAS", "Sim/Agent-"+strconv.Itoa(v.qid%31))
			x.cdata(in+10, "MW_RATING", "High")
			x.cdata(in+10, "MW_LINK", "https://malware.example.com/"+strconv.Itoa(v.qid))
			x.close(in+8, "MW_INFO")
			x.close(in+6, "MW_LIST")
			x.close(in+4, "MW_SRC")
			x.close(in+2, "MALWARE")
		}
		x.close(in, "CORRELATION")
	}
	if v.cvss2Base > 0 {
		x.open(in, "CVSS")
		x.startTag(in+2, `BASE source="service"`)
		x.buf = appendTenths(x.buf, v.cvss2Base)
		x.endTag("BASE")
		x.dec1(in+2, "TEMPORAL", v.cvss2Temp)
		x.text(in+2, "VECTOR_STRING", v.cvss2Vector)
		if all {
			x.open(in+2, "ACCESS")
			x.int(in+4, "VECTOR", int64(1+v.qid%3))
			x.int(in+4, "COMPLEXITY", int64(1+v.qid%2))
			x.close(in+2, "ACCESS")
			x.open(in+2, "IMPACT")
			x.int(in+4, "CONFIDENTIALITY", int64(1+v.qid%3))
			x.int(in+4, "INTEGRITY", int64(1+v.qid/3%3))
			x.int(in+4, "AVAILABILITY", int64(1+v.qid/9%3))
			x.close(in+2, "IMPACT")
			x.int(in+2, "AUTHENTICATION", int64(1+v.qid%2))
			x.int(in+2, "EXPLOITABILITY", int64(1+v.qid%4))
			x.int(in+2, "REMEDIATION_LEVEL", int64(1+v.qid%4))
			x.int(in+2, "REPORT_CONFIDENCE", 3)
		}
		x.close(in, "CVSS")
		x.open(in, "CVSS_V3")
		x.startTag(in+2, `BASE source="service"`)
		x.buf = appendTenths(x.buf, v.cvss3Base)
		x.endTag("BASE")
		x.dec1(in+2, "TEMPORAL", v.cvss3Temp)
		x.text(in+2, "VECTOR_STRING", v.cvss3Vector)
		x.text(in+2, "CVSS3_VERSION", v.cvss3Version)
		if all {
			x.open(in+2, "ATTACK")
			x.int(in+4, "VECTOR", int64(1+v.qid%4))
			x.int(in+4, "COMPLEXITY", int64(1+v.qid%2))
			x.close(in+2, "ATTACK")
			x.open(in+2, "IMPACT")
			x.int(in+4, "CONFIDENTIALITY", int64(1+v.qid%3))
			x.int(in+4, "INTEGRITY", int64(1+v.qid/3%3))
			x.int(in+4, "AVAILABILITY", int64(1+v.qid/9%3))
			x.close(in+2, "IMPACT")
			x.int(in+2, "PRIVILEGES_REQUIRED", int64(1+v.qid%3))
			x.int(in+2, "USER_INTERACTION", int64(1+v.qid%2))
			x.int(in+2, "SCOPE", int64(1+v.qid%2))
			x.int(in+2, "EXPLOIT_CODE_MATURITY", int64(1+v.qid%4))
			x.int(in+2, "REMEDIATION_LEVEL", int64(1+v.qid%4))
			x.int(in+2, "REPORT_CONFIDENCE", 3)
		}
		x.close(in, "CVSS_V3")
	}
	x.b01(in, "PCI_FLAG", v.pci)
	if v.pci && v.severity >= 4 {
		x.b01(in, "AUTOMATIC_PCI_FAIL", true)
	}
	if show["show_pci_reasons"] && v.pci {
		x.open(in, "PCI_REASONS")
		x.text(in+2, "PCI_REASON", "CVSS base score of "+string(appendTenths(nil, v.cvss2Base))+" or higher")
		x.close(in, "PCI_REASONS")
	}
	if len(v.threats) > 0 {
		x.open(in, "THREAT_INTELLIGENCE")
		for _, t := range v.threats {
			ti := threatIntel[t]
			x.startTag(in+2, `THREAT_INTEL id="`+strconv.Itoa(ti.id)+`"`)
			x.buf = appendCDATA(x.buf, ti.label)
			x.endTag("THREAT_INTEL")
		}
		x.close(in, "THREAT_INTELLIGENCE")
	}
	if show["show_supported_modules_info"] {
		x.text(in, "SUPPORTED_MODULES", v.supportedModules)
	}
	x.open(in, "DISCOVERY")
	x.b01(in+2, "REMOTE", v.remote)
	if len(v.authTypes) > 0 {
		x.open(in+2, "AUTH_TYPE_LIST")
		for _, a := range v.authTypes {
			x.text(in+4, "AUTH_TYPE", a)
		}
		x.close(in+2, "AUTH_TYPE_LIST")
	}
	if v.additionalInfo != "" {
		x.text(in+2, "ADDITIONAL_INFO", v.additionalInfo)
	}
	x.close(in, "DISCOVERY")
	if show["show_disabled_flag"] {
		x.b01(in, "IS_DISABLED", false)
	}
	if show["show_qid_change_log"] {
		x.open(in, "CHANGE_LOG_LIST")
		x.open(in+2, "CHANGE_LOG_INFO")
		x.date(in+4, "CHANGE_DATE", v.modified)
		x.cdata(in+4, "COMMENTS", "Detection logic updated.")
		x.close(in+2, "CHANGE_LOG_INFO")
		x.close(in, "CHANGE_LOG_LIST")
	}
	x.close(6, "VULN")
	x.maybeFlush()
}

func detectionInfo(v *vuln) string {
	if v.remote {
		return "Remote and authenticated"
	}
	return "Authenticated"
}
