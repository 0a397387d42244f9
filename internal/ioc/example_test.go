package ioc_test

import (
	"fmt"
	"strings"

	"github.com/medshield/medshield/internal/ioc"
)

func ExampleSet_Load() {
	s := ioc.NewSet()
	feed := "# Reference: WannaCry kill switch\niuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com\n"
	if _, err := s.Load(strings.NewReader(feed), "trails.txt"); err != nil {
		fmt.Println(err)
	}
	m, ok := s.LookupDomain("www.iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com")
	fmt.Println(ok, m.Indicator, m.Threat)
	// Output: true iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.com WannaCry kill switch
}
