print("mqbridge")
