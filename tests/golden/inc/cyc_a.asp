# a.asp imports b.asp imports a.asp
import "./cyc_b.asp"
list a = ["x"]
