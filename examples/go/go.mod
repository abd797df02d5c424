module example.com/bedrocklite-go

go 1.19
