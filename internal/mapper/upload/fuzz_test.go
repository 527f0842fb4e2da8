package upload

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary files to the reader and decoder: bad input
// must give problems or errors, never a panic.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"[" + ec2 + "," + vpc + "]",
		`{"entities": [` + ec2 + `], "relationships": [` + containsRel + `]}`,
		ec2 + "\n" + mapped + "\n",
		`{"_mapping": {"targetFilterKeys": [[]], "targetEntity": {"_class": 5}}}`,
		"[{", "{}", "", "\xef\xbb\xbf[]",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		rd, err := newReader(strings.NewReader(data))
		if err != nil {
			return
		}
		for i := 0; i < 10000; i++ {
			it, err := rd.next()
			if err != nil { // io.EOF or a syntax error: both end the file
				return
			}
			decode(it)
		}
	})
}
