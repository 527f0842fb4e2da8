package qualys

import (
	"bytes"
	"encoding/xml"
	"testing"
)

// detectionFull is a HOST with every element the DTD allows.
const detectionFull = `<?xml version="1.0" encoding="UTF-8" ?>
<HOST_LIST_VM_DETECTION_OUTPUT>
  <RESPONSE>
    <DATETIME>2023-04-23T02:50:36Z</DATETIME>
    <HOST_LIST>
      <HOST>
        <ID>12688456922</ID>
        <ASSET_ID>3043442</ASSET_ID>
        <IP>10.0.0.30</IP>
        <IPV6>fe80::1</IPV6>
        <TRACKING_METHOD>EC2</TRACKING_METHOD>
        <NETWORK_ID>7</NETWORK_ID>
        <OS><![CDATA[Windows 2016/2019/10]]></OS>
        <OS_CPE><![CDATA[cpe:/o:microsoft:windows_server_2016:::x64]]></OS_CPE>
        <DNS><![CDATA[host1.example.com]]></DNS>
        <DNS_DATA><HOSTNAME><![CDATA[host1]]></HOSTNAME><DOMAIN><![CDATA[example.com]]></DOMAIN><FQDN><![CDATA[host1.example.com]]></FQDN></DNS_DATA>
        <CLOUD_PROVIDER>AWS</CLOUD_PROVIDER>
        <CLOUD_SERVICE>EC2</CLOUD_SERVICE>
        <CLOUD_RESOURCE_ID>i-0123456789abcdef0</CLOUD_RESOURCE_ID>
        <EC2_INSTANCE_ID>i-0123456789abcdef0</EC2_INSTANCE_ID>
        <NETBIOS><![CDATA[HOST1]]></NETBIOS>
        <QG_HOSTID><![CDATA[00000000-aaaa-bbbb-cccc-000000000000]]></QG_HOSTID>
        <LAST_SCAN_DATETIME>2023-04-22T04:55:52Z</LAST_SCAN_DATETIME>
        <LAST_VM_SCANNED_DATE>2023-04-22T04:53:06Z</LAST_VM_SCANNED_DATE>
        <LAST_VM_SCANNED_DURATION>352</LAST_VM_SCANNED_DURATION>
        <LAST_VM_AUTH_SCANNED_DATE>2023-04-22T04:53:07Z</LAST_VM_AUTH_SCANNED_DATE>
        <LAST_VM_AUTH_SCANNED_DURATION>12</LAST_VM_AUTH_SCANNED_DURATION>
        <LAST_PC_SCANNED_DATE>2023-04-22T00:29:04Z</LAST_PC_SCANNED_DATE>
        <TAGS>
          <TAG><TAG_ID><![CDATA[123]]></TAG_ID><NAME><![CDATA[0042]]></NAME><COLOR>#FFFFFF</COLOR><BACKGROUND_COLOR>#000000</BACKGROUND_COLOR></TAG>
          <TAG><TAG_ID>124</TAG_ID><NAME><![CDATA[true]]></NAME></TAG>
        </TAGS>
        <METADATA>
          <EC2>
            <ATTRIBUTE><NAME>latest/meta-data/instance-type</NAME><LAST_STATUS>Success</LAST_STATUS><VALUE>t2.micro</VALUE><LAST_SUCCESS_DATE>2023-04-01T00:00:00Z</LAST_SUCCESS_DATE></ATTRIBUTE>
            <ATTRIBUTE><NAME>latest/meta-data/ami-id</NAME><LAST_STATUS>Error</LAST_STATUS><VALUE>0</VALUE><LAST_ERROR_DATE>2023-04-02T00:00:00Z</LAST_ERROR_DATE><LAST_ERROR>timeout</LAST_ERROR></ATTRIBUTE>
          </EC2>
        </METADATA>
        <CLOUD_PROVIDER_TAGS>
          <CLOUD_TAG><NAME>Owner</NAME><VALUE>000123</VALUE><LAST_SUCCESS_DATE>2023-04-01T00:00:00Z</LAST_SUCCESS_DATE></CLOUD_TAG>
        </CLOUD_PROVIDER_TAGS>
        <DETECTION_LIST>
          <DETECTION>
            <UNIQUE_VULN_ID>5823411234</UNIQUE_VULN_ID>
            <QID>38739</QID>
            <TYPE>Confirmed</TYPE>
            <SEVERITY>3</SEVERITY>
            <PORT>22</PORT>
            <PROTOCOL>tcp</PROTOCOL>
            <FQDN>host1.example.com</FQDN>
            <SSL>0</SSL>
            <INSTANCE>ORCL</INSTANCE>
            <RESULTS><![CDATA[Type	Name
key exchange	diffie-hellman-group1-sha1]]></RESULTS>
            <STATUS>Re-Opened</STATUS>
            <FIRST_FOUND_DATETIME>2020-04-16T17:15:49Z</FIRST_FOUND_DATETIME>
            <LAST_FOUND_DATETIME>2020-04-17T19:30:37Z</LAST_FOUND_DATETIME>
            <QDS severity="MEDIUM">35</QDS>
            <QDS_FACTORS>
              <QDS_FACTOR name="CVSS"><![CDATA[7.8]]></QDS_FACTOR>
              <QDS_FACTOR name="epss"><![CDATA[0.00232]]></QDS_FACTOR>
              <QDS_FACTOR name="trending"><![CDATA[01012024,02012024]]></QDS_FACTOR>
            </QDS_FACTORS>
            <TIMES_FOUND>5</TIMES_FOUND>
            <LAST_TEST_DATETIME>2020-04-17T19:30:37Z</LAST_TEST_DATETIME>
            <LAST_UPDATE_DATETIME>2020-04-17T19:33:23Z</LAST_UPDATE_DATETIME>
            <LAST_FIXED_DATETIME>2020-03-01T00:00:00Z</LAST_FIXED_DATETIME>
            <FIRST_REOPENED_DATETIME>2020-03-10T00:00:00Z</FIRST_REOPENED_DATETIME>
            <LAST_REOPENED_DATETIME>2020-04-10T00:00:00Z</LAST_REOPENED_DATETIME>
            <TIMES_REOPENED>2</TIMES_REOPENED>
            <SERVICE>ssh</SERVICE>
            <IS_IGNORED>1</IS_IGNORED>
            <IS_DISABLED>0</IS_DISABLED>
            <AFFECT_RUNNING_KERNEL>0</AFFECT_RUNNING_KERNEL>
            <AFFECT_RUNNING_SERVICE>1</AFFECT_RUNNING_SERVICE>
            <AFFECT_EXPLOITABLE_CONFIG>0</AFFECT_EXPLOITABLE_CONFIG>
            <LAST_PROCESSED_DATETIME>2020-04-17T19:33:23Z</LAST_PROCESSED_DATETIME>
          </DETECTION>
          <DETECTION><QID>45017</QID><TYPE>Info</TYPE><SEVERITY>1</SEVERITY></DETECTION>
        </DETECTION_LIST>
      </HOST>
    </HOST_LIST>
  </RESPONSE>
</HOST_LIST_VM_DETECTION_OUTPUT>`

func TestDetectionEveryElement(t *testing.T) {
	t.Parallel()
	hosts, _, err := decodeDetectionsDoc([]byte(detectionFull))
	if err != nil {
		t.Fatal(err)
	}
	h := hosts[0]
	eq(t, "11-digit id", h.ID, int64(12688456922))
	eq(t, "asset id", h.AssetID, int64(3043442))
	eq(t, "dns data", h.DNSData, DNSData{Hostname: "host1", Domain: "example.com", FQDN: "host1.example.com"})
	eq(t, "numeric-looking tag name stays a string", h.Tags[0].Name, "0042")
	eq(t, "tag id in CDATA", h.Tags[0].ID, int64(123))
	eq(t, "boolean-looking tag name", h.Tags[1].Name, "true")
	eq(t, "metadata provider", h.Metadata[0].Provider, "EC2")
	eq(t, "metadata error", h.Metadata[0].Attributes[1].LastErrorText, "timeout")
	eq(t, "cloud tag keeps leading zeros", h.CloudTags[0].Value, "000123")
	d := h.Detections[0]
	eq(t, "unique vuln id", d.UniqueVulnID, int64(5823411234))
	eq(t, "qds", *d.QDS, QDS{Score: 35, Severity: "MEDIUM"})
	eq(t, "qds factor", d.QDSFactors[1], QDSFactor{Name: "epss", Value: "0.00232"})
	eq(t, "reopened", d.TimesReopened, int64(2))
	eq(t, "ignored", d.IsIgnored, true)
	eq(t, "running service", *d.AffectRunningService, true)
	eq(t, "running kernel", *d.AffectRunningKernel, false)
	eq(t, "results keep the tab", d.Results, "Type\tName\nkey exchange\tdiffie-hellman-group1-sha1")
	info := h.Detections[1]
	if info.Port != nil || info.SSL != nil || info.Protocol != "" || info.QDS != nil {
		t.Errorf("host-level detection has a port, protocol, SSL or QDS: %+v", info)
	}
	for i, leaves := range xmlLeaves(t, []byte(detectionFull), "HOST") {
		checkLeavesCovered(t, "HOST", leaves, hosts[i])
	}
}

// findingVerbose is a verbose WAS finding with the classification blocks.
const findingVerbose = `<ServiceResponse><responseCode>SUCCESS</responseCode><count>1</count><hasMoreRecords>false</hasMoreRecords><data>
<Finding>
  <id>16500001</id><uniqueId>a7f73fdb-0000-0000-0000-000000000002</uniqueId><qid>150158</qid><detectionScore>95</detectionScore>
  <name><![CDATA[Client Side Template Injection]]></name><type>VULNERABILITY</type><potential>true</potential><findingType>QUALYS</findingType>
  <group>XSS</group><param><![CDATA[id%5B%5D]]></param><severity>5</severity><url><![CDATA[http://app2.example.com/comment?id=1]]></url>
  <status>FIXED</status><firstDetectedDate>2022-04-12T21:15:49Z</firstDetectedDate><lastDetectedDate>2022-04-12T21:15:49Z</lastDetectedDate>
  <lastTestedDate>2022-05-12T21:15:49Z</lastTestedDate><fixedDate>2022-05-12T21:15:49Z</fixedDate><updatedDate>2022-05-12T21:16:00Z</updatedDate>
  <timesDetected>3</timesDetected>
  <webApp><id>200000001</id><name><![CDATA[App &apos;1&apos;]]></name><url><![CDATA[http://app1.example.com/]]></url><tags><count>1</count><list><Tag><id>77</id><name>prod</name></Tag></list></tags></webApp>
  <isIgnored>true</isIgnored><ignoredReason>RISK_ACCEPTED</ignoredReason><ignoredBy><id>5</id><username>jdoe</username><firstName>J</firstName><lastName>Doe</lastName></ignoredBy>
  <ignoredDate>2022-05-01T00:00:00Z</ignoredDate><ignoredComment><![CDATA[accepted <for now>]]></ignoredComment>
  <reactivateIn>30</reactivateIn><reactivateDate>2022-06-01T00:00:00Z</reactivateDate><externalRef>JIRA-1</externalRef><patch>9</patch>
  <cwe><count>2</count><list><long>79</long><long>1336</long></list></cwe>
  <owasp><count>1</count><list><OWASP><name><![CDATA[Injection]]></name><url><![CDATA[https://owasp.org/Top10/A03_2021-Injection/]]></url><code>3</code></OWASP></list></owasp>
  <wasc><count>1</count><list><WASC><name><![CDATA[Cross-site Scripting]]></name><url><![CDATA[http://projects.webappsec.org/Cross-Site-Scripting]]></url><code>8</code></WASC></list></wasc>
  <cvssV3><base>6.1</base><temporal>5.5</temporal><attackVector>Network</attackVector></cvssV3>
  <resultList><count>1</count><list><Result><authentication>false</authentication></Result></list></resultList>
</Finding>
</data></ServiceResponse>`

func TestFindingVerbose(t *testing.T) {
	t.Parallel()
	x := newXMLReader(bytes.NewReader([]byte(findingVerbose)))
	var got []*Finding
	if _, err := qpsPage(x, EndpointFindings, func(el xml.StartElement) error {
		f, err := decodeFinding(x)
		got = append(got, f)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f := got[0]
	eq(t, "detection score", f.DetectionScore, int64(95))
	eq(t, "param kept as sent", f.Param, "id%5B%5D")
	eq(t, "web app name kept as sent", f.WebApp.Name, "App &apos;1&apos;")
	eq(t, "web app tag", f.WebApp.Tags[0], WASTag{ID: 77, Name: "prod"})
	eq(t, "ignored by", f.IgnoredBy.Username, "jdoe")
	eq(t, "cwe", len(f.CWE), 2)
	eq(t, "cwe 2", f.CWE[1], int64(1336))
	eq(t, "owasp", f.OWASP[0].Code, int64(3))
	eq(t, "wasc", f.WASC[0].Name, "Cross-site Scripting")
	eq(t, "cvss base", *f.CVSSv3.Base, 6.1)
	eq(t, "fixed", f.Fixed.Format("2006-01-02"), "2022-05-12")
	eq(t, "times detected", *f.TimesDetected, int64(3))
	eq(t, "is ignored", *f.IsIgnored, true)
}
