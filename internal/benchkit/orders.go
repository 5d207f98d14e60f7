package benchkit

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"
)

// WriteOrders writes a CSV file of rows orders with a header and 12
// columns (integers, decimals, timestamps, dates, booleans, a quoted name
// on every line, sparse quoted notes, and empty fields), about 125 bytes a
// row. The same rows always come out: the generator is seeded.
func WriteOrders(w io.Writer, rows int) error {
	rng := rand.New(rand.NewPCG(42, 7))
	countries := []string{"FR", "DE", "IE", "JP", "BR", "GB", "IN", "ES", "US", "NO"}
	categories := []string{"books", "garden", "kitchen", "toys", "outdoor", "music"}
	first := []string{"Zoë", "Jonas", "Siobhán", "Taro", "Ana", "Liam", "Priya", "Mateo", "Chloé", "Ingrid"}
	last := []string{"Lefèvre", "Müller", "O'Brien", "Yamada", "Souza", "Smith", "Nair", "García", "Martin", "Berg"}
	if _, err := io.WriteString(w, "id,customer,email,country,amount,quantity,price,ordered_at,ship_date,shipped,notes,category\n"); err != nil {
		return err
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		fn, ln := first[rng.IntN(len(first))], last[rng.IntN(len(last))]
		ts := base.Add(time.Duration(rng.IntN(300*24*3600)) * time.Second)
		note := ""
		switch rng.IntN(4) {
		case 0:
			note = `"leave at the door, ""please"""`
		case 1:
			note = `"gift wrap, blue paper"`
		}
		_, err := fmt.Fprintf(w, "%d,\"%s, %s\",%s.%s%d@example.com,%s,%d.%02d,%d,%d.%02d,%s,%s,%t,%s,%s\n",
			i+1, ln, fn, strings.ToLower(fn[:1]), strings.ToLower(ln[:2]), i, countries[rng.IntN(len(countries))],
			rng.IntN(100000), rng.IntN(100), 1+rng.IntN(20), rng.IntN(500), rng.IntN(100),
			ts.Format("2006-01-02 15:04:05"), ts.AddDate(0, 0, 2).Format("2006-01-02"), rng.IntN(2) == 0,
			note, categories[rng.IntN(len(categories))])
		if err != nil {
			return err
		}
	}
	return nil
}
