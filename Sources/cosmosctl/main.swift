import CosmosCtl

await Cosmosctl.runMain()
