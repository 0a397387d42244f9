package guard

import (
	"database/sql"
	"fmt"
	"path/filepath"

	_ "modernc.org/sqlite"
)

// databaseWrites is the "database writing its files" twin: a SQLite
// database in the protected folder with thousands of inserts, updates and a
// vacuum (the HIS or a lab system writing its data files).
func databaseWrites(dir string) {
	db, err := sql.Open("sqlite", filepath.Join(dir, "lab-results.db"))
	if err != nil {
		return
	}
	defer db.Close()
	db.Exec(`PRAGMA journal_mode=WAL`)
	db.Exec(`CREATE TABLE IF NOT EXISTS results (id INTEGER PRIMARY KEY, patient TEXT, test TEXT, value REAL, note TEXT)`)
	for batch := 0; batch < 20; batch++ {
		tx, _ := db.Begin()
		for i := 0; i < 250; i++ {
			tx.Exec(`INSERT INTO results (patient, test, value, note) VALUES (?, ?, ?, ?)`,
				fmt.Sprintf("P%06d", batch*250+i), "HbA1c", 5.0+float64(i%30)/10, "routine follow-up, fasting sample")
		}
		tx.Commit()
	}
	db.Exec(`UPDATE results SET note = 'reviewed by Dr. Wang' WHERE id % 3 = 0`)
	db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	db.Exec(`VACUUM`)
}
