package qualys

import "encoding/xml"

// decodeVuln reads one VULN element, just started.
func decodeVuln(x *xmlReader) (*Vuln, error) {
	v := &Vuln{}
	err := eachChild(x, func(f xml.StartElement) error {
		var err error
		n := f.Name.Local
		switch n {
		case "QID":
			v.QID, err = x.int(n)
		case "VULN_TYPE":
			v.VulnType, err = x.str()
		case "SEVERITY_LEVEL":
			v.SeverityLevel, err = x.int(n)
		case "TITLE":
			v.Title, err = x.raw()
		case "CATEGORY":
			v.Category, err = x.str()
		case "TECHNOLOGY":
			v.Technology, err = x.str()
		case "DETECTION_INFO":
			v.DetectionInfo, err = x.raw()
		case "LAST_CUSTOMIZATION":
			lc := &Customization{}
			err = eachChild(x, func(g xml.StartElement) error {
				var err error
				switch g.Name.Local {
				case "DATETIME":
					lc.At, err = x.time("LAST_CUSTOMIZATION/DATETIME")
				case "USER_LOGIN":
					lc.UserLogin, err = x.str()
				default:
					err = x.skip()
				}
				return err
			})
			v.LastCustomization = lc
		case "LAST_SERVICE_MODIFICATION_DATETIME":
			v.LastServiceModification, err = x.time(n)
		case "PUBLISHED_DATETIME":
			v.Published, err = x.time(n)
		case "CODE_MODIFIED_DATETIME":
			v.CodeModified, err = x.time(n)
		case "BUGTRAQ_LIST":
			v.Bugtraqs, err = decodeReferences(x, "BUGTRAQ", v.Bugtraqs)
		case "PATCHABLE":
			v.Patchable, err = x.bool(n)
		case "PATCH_PUBLISHED_DATE":
			v.PatchPublished, err = x.time(n)
		case "SOFTWARE_LIST":
			err = eachChild(x, func(g xml.StartElement) error {
				if g.Name.Local != "SOFTWARE" {
					return x.skip()
				}
				var s Software
				err := eachChild(x, func(h xml.StartElement) error {
					var err error
					switch h.Name.Local {
					case "PRODUCT":
						s.Product, err = x.str()
					case "VENDOR":
						s.Vendor, err = x.str()
					default:
						err = x.skip()
					}
					return err
				})
				v.Software = append(v.Software, s)
				return err
			})
		case "VENDOR_REFERENCE_LIST":
			v.VendorReferences, err = decodeReferences(x, "VENDOR_REFERENCE", v.VendorReferences)
		case "CVE_LIST":
			v.CVEs, err = decodeReferences(x, "CVE", v.CVEs)
		case "DIAGNOSIS":
			v.Diagnosis, err = x.raw()
		case "CONSEQUENCE":
			v.Consequence, err = x.raw()
		case "SOLUTION":
			v.Solution, err = x.raw()
		case "DIAGNOSIS_COMMENT":
			v.DiagnosisComment, err = x.raw()
		case "CONSEQUENCE_COMMENT":
			v.ConsequenceComment, err = x.raw()
		case "SOLUTION_COMMENT":
			v.SolutionComment, err = x.raw()
		case "COMPLIANCE_LIST":
			err = eachChild(x, func(g xml.StartElement) error {
				if g.Name.Local != "COMPLIANCE" {
					return x.skip()
				}
				var c Compliance
				err := eachChild(x, func(h xml.StartElement) error {
					var err error
					switch h.Name.Local {
					case "TYPE":
						c.Type, err = x.str()
					case "SECTION":
						c.Section, err = x.str()
					case "DESCRIPTION":
						c.Description, err = x.raw()
					default:
						err = x.skip()
					}
					return err
				})
				v.Compliance = append(v.Compliance, c)
				return err
			})
		case "CORRELATION":
			v.Correlation, err = decodeCorrelation(x)
		case "CVSS":
			v.CVSS, err = decodeCVSS(x)
		case "CVSS_V3":
			v.CVSSv3, err = decodeCVSSv3(x)
		case "PCI_FLAG":
			v.PCIFlag, err = x.bool(n)
		case "AUTOMATIC_PCI_FAIL":
			v.AutomaticPCIFail, err = x.bool(n)
		case "PCI_REASONS":
			err = eachChild(x, func(g xml.StartElement) error {
				if g.Name.Local != "PCI_REASON" {
					return x.skip()
				}
				s, err := x.str()
				v.PCIReasons = append(v.PCIReasons, s)
				return err
			})
		case "THREAT_INTELLIGENCE":
			err = eachChild(x, func(g xml.StartElement) error {
				if g.Name.Local != "THREAT_INTEL" {
					return x.skip()
				}
				s, err := x.str()
				v.ThreatIntel = append(v.ThreatIntel, ThreatIntel{ID: attr(g, "id"), Label: s})
				return err
			})
		case "SUPPORTED_MODULES":
			v.SupportedModules, err = x.str()
		case "DISCOVERY":
			err = eachChild(x, func(g xml.StartElement) error {
				var err error
				switch g.Name.Local {
				case "REMOTE":
					v.Discovery.Remote, err = x.bool("DISCOVERY/REMOTE")
				case "AUTH_TYPE_LIST":
					err = eachChild(x, func(h xml.StartElement) error {
						if h.Name.Local != "AUTH_TYPE" {
							return x.skip()
						}
						s, err := x.str()
						v.Discovery.AuthTypes = append(v.Discovery.AuthTypes, s)
						return err
					})
				case "ADDITIONAL_INFO":
					v.Discovery.AdditionalInfo, err = x.str()
				default:
					err = x.skip()
				}
				return err
			})
		case "IS_DISABLED":
			v.IsDisabled, err = x.bool(n)
		case "CHANGE_LOG_LIST":
			err = eachChild(x, func(g xml.StartElement) error {
				if g.Name.Local != "CHANGE_LOG_INFO" {
					return x.skip()
				}
				var e ChangeLogEntry
				err := eachChild(x, func(h xml.StartElement) error {
					var err error
					switch h.Name.Local {
					case "CHANGE_DATE":
						e.Date, err = x.time("CHANGE_DATE")
					case "COMMENTS":
						e.Comments, err = x.raw()
					default:
						err = x.skip()
					}
					return err
				})
				v.ChangeLog = append(v.ChangeLog, e)
				return err
			})
		default:
			err = x.skip()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if v.QID == 0 {
		return nil, malformed("VULN without QID ending at byte %d", x.offset())
	}
	return v, nil
}

// decodeReferences reads a list of <item><ID/><URL/></item>.
func decodeReferences(x *xmlReader, itemName string, out []Reference) ([]Reference, error) {
	err := eachChild(x, func(g xml.StartElement) error {
		if g.Name.Local != itemName {
			return x.skip()
		}
		var r Reference
		err := eachChild(x, func(h xml.StartElement) error {
			var err error
			switch h.Name.Local {
			case "ID":
				r.ID, err = x.str()
			case "URL":
				r.URL, err = x.str()
			default:
				err = x.skip()
			}
			return err
		})
		out = append(out, r)
		return err
	})
	return out, err
}

func decodeCorrelation(x *xmlReader) (*Correlation, error) {
	c := &Correlation{}
	err := eachChild(x, func(g xml.StartElement) error {
		switch g.Name.Local {
		case "EXPLOITS":
			return eachChild(x, func(h xml.StartElement) error {
				if h.Name.Local != "EXPLT_SRC" {
					return x.skip()
				}
				var src ExploitSource
				err := eachChild(x, func(i xml.StartElement) error {
					switch i.Name.Local {
					case "SRC_NAME":
						var err error
						src.Name, err = x.str()
						return err
					case "EXPLT_LIST":
						return eachChild(x, func(j xml.StartElement) error {
							if j.Name.Local != "EXPLT" {
								return x.skip()
							}
							var e Exploit
							err := eachChild(x, func(k xml.StartElement) error {
								var err error
								switch k.Name.Local {
								case "REF":
									e.Ref, err = x.str()
								case "DESC":
									e.Desc, err = x.raw()
								case "LINK":
									e.Link, err = x.str()
								default:
									err = x.skip()
								}
								return err
							})
							src.Exploits = append(src.Exploits, e)
							return err
						})
					}
					return x.skip()
				})
				c.Exploits = append(c.Exploits, src)
				return err
			})
		case "MALWARE":
			return eachChild(x, func(h xml.StartElement) error {
				if h.Name.Local != "MW_SRC" {
					return x.skip()
				}
				var src MalwareSource
				err := eachChild(x, func(i xml.StartElement) error {
					switch i.Name.Local {
					case "SRC_NAME":
						var err error
						src.Name, err = x.str()
						return err
					case "MW_LIST":
						return eachChild(x, func(j xml.StartElement) error {
							if j.Name.Local != "MW_INFO" {
								return x.skip()
							}
							var m Malware
							err := eachChild(x, func(k xml.StartElement) error {
								var err error
								switch k.Name.Local {
								case "MW_ID":
									m.ID, err = x.str()
								case "MW_TYPE":
									m.Type, err = x.str()
								case "MW_PLATFORM":
									m.Platform, err = x.str()
								case "MW_ALIAS":
									m.Alias, err = x.str()
								case "MW_RATING":
									m.Rating, err = x.str()
								case "MW_LINK":
									m.Link, err = x.str()
								default:
									err = x.skip()
								}
								return err
							})
							src.Malware = append(src.Malware, m)
							return err
						})
					}
					return x.skip()
				})
				c.Malware = append(c.Malware, src)
				return err
			})
		}
		return x.skip()
	})
	return c, err
}

// decodePair reads an element with two named children, e.g. ACCESS
// {VECTOR, COMPLEXITY}, into a and b.
func decodePair(x *xmlReader, an, bn string, a, b *string) error {
	return eachChild(x, func(g xml.StartElement) error {
		var err error
		switch g.Name.Local {
		case an:
			*a, err = x.str()
		case bn:
			*b, err = x.str()
		default:
			err = x.skip()
		}
		return err
	})
}

func decodeImpact(x *xmlReader, c, i, a *string) error {
	return eachChild(x, func(g xml.StartElement) error {
		var err error
		switch g.Name.Local {
		case "CONFIDENTIALITY":
			*c, err = x.str()
		case "INTEGRITY":
			*i, err = x.str()
		case "AVAILABILITY":
			*a, err = x.str()
		default:
			err = x.skip()
		}
		return err
	})
}

func decodeCVSS(x *xmlReader) (*CVSS, error) {
	c := &CVSS{}
	err := eachChild(x, func(g xml.StartElement) error {
		var err error
		switch g.Name.Local {
		case "BASE":
			c.BaseSource = attr(g, "source")
			c.Base, err = x.float("CVSS/BASE")
		case "TEMPORAL":
			c.Temporal, err = x.float("CVSS/TEMPORAL")
		case "VECTOR_STRING":
			c.Vector, err = x.str()
		case "ACCESS":
			err = decodePair(x, "VECTOR", "COMPLEXITY", &c.AccessVector, &c.AccessComplexity)
		case "IMPACT":
			err = decodeImpact(x, &c.Confidentiality, &c.Integrity, &c.Availability)
		case "AUTHENTICATION":
			c.Authentication, err = x.str()
		case "EXPLOITABILITY":
			c.Exploitability, err = x.str()
		case "REMEDIATION_LEVEL":
			c.RemediationLevel, err = x.str()
		case "REPORT_CONFIDENCE":
			c.ReportConfidence, err = x.str()
		default:
			err = x.skip()
		}
		return err
	})
	return c, err
}

func decodeCVSSv3(x *xmlReader) (*CVSSv3, error) {
	c := &CVSSv3{}
	err := eachChild(x, func(g xml.StartElement) error {
		var err error
		switch g.Name.Local {
		case "BASE":
			c.BaseSource = attr(g, "source")
			c.Base, err = x.float("CVSS_V3/BASE")
		case "TEMPORAL":
			c.Temporal, err = x.float("CVSS_V3/TEMPORAL")
		case "VECTOR_STRING":
			c.Vector, err = x.str()
		case "CVSS3_VERSION":
			c.Version, err = x.str()
		case "ATTACK":
			err = decodePair(x, "VECTOR", "COMPLEXITY", &c.AttackVector, &c.AttackComplexity)
		case "IMPACT":
			err = decodeImpact(x, &c.Confidentiality, &c.Integrity, &c.Availability)
		case "PRIVILEGES_REQUIRED":
			c.PrivilegesRequired, err = x.str()
		case "USER_INTERACTION":
			c.UserInteraction, err = x.str()
		case "SCOPE":
			c.Scope, err = x.str()
		case "EXPLOIT_CODE_MATURITY":
			c.ExploitCodeMaturity, err = x.str()
		case "REMEDIATION_LEVEL":
			c.RemediationLevel, err = x.str()
		case "REPORT_CONFIDENCE":
			c.ReportConfidence, err = x.str()
		default:
			err = x.skip()
		}
		return err
	})
	return c, err
}
