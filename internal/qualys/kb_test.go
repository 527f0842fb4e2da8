package qualys

import (
	"bytes"
	"encoding/xml"
	"testing"
)

// kbFull is a VULN with every block, keep-alive comments in odd places and
// numbers that must stay strings.
const kbFull = `<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE KNOWLEDGE_BASE_VULN_LIST_OUTPUT SYSTEM "https://qualysapi.qualys.com/api/2.0/fo/knowledge_base/vuln/knowledge_base_vuln_list_output.dtd">
<KNOWLEDGE_BASE_VULN_LIST_OUTPUT>
  <RESPONSE>
    <DATETIME>2025-01-07T17:46:23Z</DATETIME>
    <!-- keep-alive for KNOWLEDGE_BASE_VULN_LIST_OUTPUT  -->
    <VULN_LIST>
      <VULN>
        <QID>150210</QID>
        <VULN_TYPE>Vulnerability</VULN_TYPE>
        <SEVERITY_LEVEL> 5 </SEVERITY_LEVEL>
        <TITLE><![CDATA[Apache &quot;Struts&quot; <RCE>]]></TITLE>
        <CATEGORY>Web Application</CATEGORY>
        <TECHNOLOGY>Java</TECHNOLOGY>
        <LAST_CUSTOMIZATION><DATETIME>2024-02-01T00:00:00Z</DATETIME><USER_LOGIN>jdoe</USER_LOGIN></LAST_CUSTOMIZATION>
        <LAST_SERVICE_MODIFICATION_DATETIME>
          2024-03-01T10:00:00Z
        </LAST_SERVICE_MODIFICATION_DATETIME>
        <PUBLISHED_DATETIME>2017-03-07T12:00:00Z</PUBLISHED_DATETIME>
        <CODE_MODIFIED_DATETIME>2024-01-01T00:00:00Z</CODE_MODIFIED_DATETIME>
        <BUGTRAQ_LIST><BUGTRAQ><ID><![CDATA[96729]]></ID><URL><![CDATA[http://www.securityfocus.com/bid/96729]]></URL></BUGTRAQ></BUGTRAQ_LIST>
        <PATCHABLE>1</PATCHABLE>
        <PATCH_PUBLISHED_DATE>2017-03-08T00:00:00Z</PATCH_PUBLISHED_DATE>
        <!-- keep-alive for KNOWLEDGE_BASE_VULN_LIST_OUTPUT  -->
        <CVE_LIST>
          <CVE><ID><![CDATA[CVE-2017-5638]]></ID><URL><![CDATA[http://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2017-5638]]></URL></CVE>
          <CVE><ID><![CDATA[CVE-2017-9999]]></ID><URL><![CDATA[http://x]]></URL></CVE>
        </CVE_LIST>
        <DIAGNOSIS><![CDATA[<P>It doesn&apos;t check<BR>]]></DIAGNOSIS>
        <CONSEQUENCE>Remote code &lt;execution&gt;<!-- keep-alive --> as root</CONSEQUENCE>
        <SOLUTION><![CDATA[Upgrade <A HREF="https://struts.apache.org" TARGET="_blank">here</A>.]]></SOLUTION>
        <COMPLIANCE_LIST><COMPLIANCE><TYPE>PCI</TYPE><SECTION>6.5</SECTION><DESCRIPTION><![CDATA[Injection flaws]]></DESCRIPTION></COMPLIANCE></COMPLIANCE_LIST>
        <CORRELATION>
          <EXPLOITS><EXPLT_SRC><SRC_NAME><![CDATA[The Exploit-DB]]></SRC_NAME><EXPLT_LIST>
            <EXPLT><REF><![CDATA[CVE-2017-5638]]></REF><DESC><![CDATA[Struts RCE]]></DESC><LINK><![CDATA[http://www.exploit-db.com/exploits/41570]]></LINK></EXPLT>
          </EXPLT_LIST></EXPLT_SRC></EXPLOITS>
          <MALWARE><MW_SRC><SRC_NAME><![CDATA[Trend Micro]]></SRC_NAME><MW_LIST>
            <MW_INFO><MW_ID><![CDATA[ELF_SETAG.SM]]></MW_ID><MW_TYPE><![CDATA[Backdoor]]></MW_TYPE><MW_PLATFORM><![CDATA[Linux]]></MW_PLATFORM><MW_RATING><![CDATA[Medium]]></MW_RATING></MW_INFO>
          </MW_LIST></MW_SRC></MALWARE>
        </CORRELATION>
        <CVSS>
          <BASE source="service">10.0</BASE>
          <TEMPORAL>8.7</TEMPORAL>
          <VECTOR_STRING>CVSS:2.0/AV:N/AC:L/Au:N/C:C/I:C/A:C/E:H/RL:OF/RC:C</VECTOR_STRING>
          <ACCESS><VECTOR>3</VECTOR><COMPLEXITY>1</COMPLEXITY></ACCESS>
          <IMPACT><CONFIDENTIALITY>3</CONFIDENTIALITY><INTEGRITY>3</INTEGRITY><AVAILABILITY>3</AVAILABILITY></IMPACT>
          <AUTHENTICATION>1</AUTHENTICATION>
          <EXPLOITABILITY>4</EXPLOITABILITY>
          <REMEDIATION_LEVEL>1</REMEDIATION_LEVEL>
          <REPORT_CONFIDENCE>3</REPORT_CONFIDENCE>
        </CVSS>
        <CVSS_V3>
          <BASE>10</BASE>
          <TEMPORAL>9.5</TEMPORAL>
          <VECTOR_STRING>CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H/E:H/RL:O/RC:C</VECTOR_STRING>
          <CVSS3_VERSION>3.1</CVSS3_VERSION>
          <ATTACK><VECTOR>1</VECTOR><COMPLEXITY>1</COMPLEXITY></ATTACK>
          <PRIVILEGES_REQUIRED>1</PRIVILEGES_REQUIRED>
          <USER_INTERACTION>1</USER_INTERACTION>
          <SCOPE>2</SCOPE>
        </CVSS_V3>
        <PCI_FLAG>1</PCI_FLAG>
        <AUTOMATIC_PCI_FAIL>1</AUTOMATIC_PCI_FAIL>
        <PCI_REASONS><PCI_REASON>Severity 5</PCI_REASON><PCI_REASON>CVSS 10</PCI_REASON></PCI_REASONS>
        <THREAT_INTELLIGENCE>
          <THREAT_INTEL id="2"><![CDATA[Exploit_Public]]></THREAT_INTEL>
          <THREAT_INTEL id="15"><![CDATA[Remote_Code_Execution]]></THREAT_INTEL>
        </THREAT_INTELLIGENCE>
        <SUPPORTED_MODULES>VM,CA-Linux Agent</SUPPORTED_MODULES>
        <DISCOVERY><REMOTE>0</REMOTE><AUTH_TYPE_LIST><AUTH_TYPE>Unix</AUTH_TYPE></AUTH_TYPE_LIST><ADDITIONAL_INFO>Exploit Available</ADDITIONAL_INFO></DISCOVERY>
        <IS_DISABLED>0</IS_DISABLED>
        <CHANGE_LOG_LIST><CHANGE_LOG_INFO><CHANGE_DATE>2024-01-01T00:00:00Z</CHANGE_DATE><COMMENTS><![CDATA[Added CVE]]></COMMENTS></CHANGE_LOG_INFO></CHANGE_LOG_LIST>
      </VULN>
      <VULN><QID>6</QID><VULN_TYPE>Information Gathered</VULN_TYPE><SEVERITY_LEVEL>1</SEVERITY_LEVEL><TITLE><![CDATA[DNS Host Name]]></TITLE><PATCHABLE>0</PATCHABLE><CVE_LIST/><DISCOVERY><REMOTE>1</REMOTE></DISCOVERY></VULN>
    </VULN_LIST>
  </RESPONSE>
</KNOWLEDGE_BASE_VULN_LIST_OUTPUT>
<!-- keep-alive for KNOWLEDGE_BASE_VULN_LIST_OUTPUT  -->
`

func decodeKBDoc(doc []byte) ([]*Vuln, error) {
	x := newXMLReader(bytes.NewReader(doc))
	var out []*Vuln
	_, err := foPage(x, EndpointKnowledgeBase, "KNOWLEDGE_BASE_VULN_LIST_OUTPUT", 200, map[string]func(xml.StartElement) error{
		"VULN_LIST": func(el xml.StartElement) error {
			v, err := decodeVuln(x)
			if err == nil {
				out = append(out, v)
			}
			return err
		},
	})
	return out, err
}

func TestKnowledgeBaseEveryBlock(t *testing.T) {
	t.Parallel()
	vulns, err := decodeKBDoc([]byte(kbFull))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "vulns", len(vulns), 2)
	v := vulns[0]
	eq(t, "severity (padded)", v.SeverityLevel, int64(5))
	eq(t, "title kept as sent", v.Title, `Apache &quot;Struts&quot; <RCE>`)
	eq(t, "diagnosis", v.Diagnosis, `<P>It doesn&apos;t check<BR>`)
	eq(t, "consequence (entities, keep-alive inside)", v.Consequence, "Remote code <execution> as root")
	eq(t, "last service modification (spaces)", v.LastServiceModification.Format("2006-01-02T15:04:05Z"), "2024-03-01T10:00:00Z")
	eq(t, "customised by", v.LastCustomization.UserLogin, "jdoe")
	eq(t, "bugtraq id stays a string", v.Bugtraqs[0].ID, "96729")
	eq(t, "cves", len(v.CVEs), 2)
	eq(t, "patch published", v.PatchPublished.Year(), 2017)
	eq(t, "compliance", v.Compliance[0], Compliance{Type: "PCI", Section: "6.5", Description: "Injection flaws"})
	eq(t, "exploit link", v.Correlation.Exploits[0].Exploits[0].Link, "http://www.exploit-db.com/exploits/41570")
	eq(t, "malware", v.Correlation.Malware[0].Malware[0].ID, "ELF_SETAG.SM")
	eq(t, "cvss base", *v.CVSS.Base, 10.0)
	eq(t, "cvss base source", v.CVSS.BaseSource, "service")
	eq(t, "cvss temporal", *v.CVSS.Temporal, 8.7)
	eq(t, "cvss vector", v.CVSS.Vector, "CVSS:2.0/AV:N/AC:L/Au:N/C:C/I:C/A:C/E:H/RL:OF/RC:C")
	eq(t, "cvss access", v.CVSS.AccessVector+v.CVSS.AccessComplexity, "31")
	eq(t, "cvss3 base", *v.CVSSv3.Base, 10.0)
	eq(t, "cvss3 temporal", *v.CVSSv3.Temporal, 9.5)
	eq(t, "cvss3 version", v.CVSSv3.Version, "3.1")
	eq(t, "cvss3 scope", v.CVSSv3.Scope, "2")
	eq(t, "pci", v.PCIFlag && v.AutomaticPCIFail, true)
	eq(t, "pci reasons", len(v.PCIReasons), 2)
	eq(t, "threat intel", v.ThreatIntel[1], ThreatIntel{ID: "15", Label: "Remote_Code_Execution"})
	eq(t, "supported modules", v.SupportedModules, "VM,CA-Linux Agent")
	eq(t, "remote", v.Discovery.Remote, false)
	eq(t, "additional info", v.Discovery.AdditionalInfo, "Exploit Available")
	eq(t, "change log", v.ChangeLog[0].Comments, "Added CVE")
	w := vulns[1]
	eq(t, "QID 6", w.QID, int64(6))
	eq(t, "empty CVE list", len(w.CVEs), 0)
	if w.CVSS != nil || w.CVSSv3 != nil || w.Correlation != nil {
		t.Error("absent blocks decoded as present")
	}
	for i, leaves := range xmlLeaves(t, []byte(kbFull), "VULN") {
		checkLeavesCovered(t, "VULN", leaves, vulns[i])
	}
}

func TestEmptyListsInEveryForm(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		`<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><DATETIME>2020-09-27T01:23:33Z</DATETIME></RESPONSE></HOST_LIST_VM_DETECTION_OUTPUT>`,
		`<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><HOST_LIST/></RESPONSE></HOST_LIST_VM_DETECTION_OUTPUT>`,
		`<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><HOST_LIST />` + "\n" + `</RESPONSE></HOST_LIST_VM_DETECTION_OUTPUT>`,
		`<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><HOST_LIST>` + "\n   \n" + `</HOST_LIST></RESPONSE></HOST_LIST_VM_DETECTION_OUTPUT>`,
	} {
		hosts, _, err := decodeDetectionsDoc([]byte(doc))
		if err != nil || len(hosts) != 0 {
			t.Errorf("%s: hosts %d, error %v", doc, len(hosts), err)
		}
	}
	for _, doc := range []string{
		`<ServiceResponse><responseCode>SUCCESS</responseCode><count>0</count></ServiceResponse>`,
		`<ServiceResponse><responseCode>SUCCESS</responseCode><count>0</count><hasMoreRecords>false</hasMoreRecords><data>` + "\n      " + `</data></ServiceResponse>`,
		`<ServiceResponse><responseCode>SUCCESS</responseCode><data/></ServiceResponse>`,
	} {
		assets, _, err := decodeHostAssetsDoc([]byte(doc))
		if err != nil || len(assets) != 0 {
			t.Errorf("%s: assets %d, error %v", doc, len(assets), err)
		}
	}
}
