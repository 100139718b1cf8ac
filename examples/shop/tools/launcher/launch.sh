#!/bin/sh
# The launcher: builds the autoscaler's launch request from the deployed environment.
# (A stand-in for the real tool: it prints the request instead of sending it.)
set -eu
echo "RunInstances ImageId=$LAUNCH_AMI InstanceType=$INSTANCE_TYPE SecurityGroups=$WEB_SECURITY_GROUPS Subnets=$SUBNETS"
