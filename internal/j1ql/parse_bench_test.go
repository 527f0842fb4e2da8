package j1ql

import "testing"

func BenchmarkParseCorpus(b *testing.B) {
	corpus := loadCorpus(b)
	size := 0
	for _, c := range corpus {
		size += len(c.Text)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, c := range corpus {
			if _, err := Parse(c.Text); err != nil {
				b.Fatal(err)
			}
		}
	}
}
