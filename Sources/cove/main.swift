import CoveCLI

CoveMain.run()
